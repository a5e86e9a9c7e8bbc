"""Managing one's second factors through the API: list, set up (authenticator app, phone),
recovery codes, removal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_otp.models import Device
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from accounts.errors import (
    DeviceNotFound,
    InvalidOtp,
    LastFactorRemoval,
    MfaNotEnabled,
    MfaRequired,
    ReauthenticationRequired,
)
from accounts.selectors.mfa import device_summaries, totp_secret
from accounts.selectors.sessions import current_session, session_mfa_verified
from accounts.serializers.account import PasswordConfirmInput
from accounts.serializers.common import DetailOutput
from accounts.serializers.mfa import (
    CodeInput,
    DeviceOutput,
    DeviceRemoveInput,
    PhoneInput,
    RecoveryCodesOutput,
    TotpSetupOutput,
)
from accounts.services import mfa
from accounts.services.reauthentication import reauthenticate
from accounts.services.sessions import session_mark_verified
from core.api import NoParameters, django_request, problems, query_parameters
from core.errors import VALIDATION_ERROR
from core.ratelimit import RateLimited


class MfaEnrolmentApi(APIView):
    """Open to staff who have not enrolled yet (StaffMfaVerified is not applied). A session
    that has not passed a second factor may add one only while the account has none
    (``MFA_REQUIRED``, 403, otherwise)."""

    permission_classes = (permissions.IsAuthenticated,)


def _verified_with(request: Request, *, device: Device) -> None:
    """The code that confirmed a new device also verifies the API session it came from."""
    session_mark_verified(
        session=current_session(request=django_request(request), auth=request.auth),
        device=device,
        request=django_request(request),
    )


def _session_verified(request: Request) -> bool:
    return session_mfa_verified(request=django_request(request), auth=request.auth)


class DeviceListApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Your sign-in methods",
        operation_id="mfa_devices_list",
        description="Your second factors (authenticator apps, phones, passkeys, recovery "
        "codes); a short list, not paginated.",
        responses={200: DeviceOutput(many=True), **problems(VALIDATION_ERROR)},
    )
    def get(self, request: Request) -> Response:
        query_parameters(request, NoParameters)
        return Response(
            DeviceOutput(device_summaries(user=signed_in_user(request)), many=True).data
        )


class TotpSetupApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Start setting up an authenticator app",
        operation_id="mfa_totp_setup",
        description="With your current password: a new secret to scan; confirm it with a "
        "code at /account/mfa/totp/confirm.",
        request=PasswordConfirmInput,
        responses={
            200: TotpSetupOutput,
            **problems(VALIDATION_ERROR, ReauthenticationRequired, MfaRequired, RateLimited),
        },
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        device = mfa.totp_enrolment_start(
            user=user, session_verified=_session_verified(request), request=django_request(request)
        )
        return Response({"secret": totp_secret(device=device), "otpauth_url": device.config_url})


class TotpConfirmApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Confirm the authenticator app with a code",
        operation_id="mfa_totp_confirm",
        description="The app's current code turns it on; the answer holds your recovery codes "
        "(shown once).",
        request=CodeInput,
        responses={
            200: RecoveryCodesOutput,
            **problems(VALIDATION_ERROR, InvalidOtp, DeviceNotFound, MfaRequired, RateLimited),
        },
    )
    def post(self, request: Request) -> Response:
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        device, codes = mfa.totp_enrolment_confirm(
            user=signed_in_user(request),
            code=data.validated_data["code"],
            session_verified=_session_verified(request),
            request=django_request(request),
        )
        _verified_with(request, device=device)
        return Response({"recovery_codes": codes})


class SmsSetupApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Add a phone: texts it a code",
        operation_id="mfa_sms_setup",
        description="With your current password; confirm with the code at "
        "/account/mfa/sms/confirm.",
        request=PhoneInput,
        responses={
            202: DetailOutput,
            **problems(VALIDATION_ERROR, ReauthenticationRequired, MfaRequired, RateLimited),
        },
    )
    def post(self, request: Request) -> Response:
        data = PhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        try:
            mfa.sms_enrolment_start(
                user=user,
                phone=data.validated_data["phone"],
                session_verified=_session_verified(request),
                request=django_request(request),
            )
        except ValidationError as error:  # the number: reported against the field sent
            raise serializers.ValidationError({"phone": error.messages}) from None
        return Response({"detail": _("We sent a code by SMS.")}, status=status.HTTP_202_ACCEPTED)


class SmsConfirmApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Confirm the phone with the code it received",
        operation_id="mfa_sms_confirm",
        description="The phone can then receive sign-in codes.",
        request=CodeInput,
        responses={
            200: DetailOutput,
            **problems(VALIDATION_ERROR, InvalidOtp, DeviceNotFound, MfaRequired, RateLimited),
        },
    )
    def post(self, request: Request) -> Response:
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = mfa.sms_enrolment_confirm(
            user=signed_in_user(request),
            code=data.validated_data["code"],
            session_verified=_session_verified(request),
            request=django_request(request),
        )
        _verified_with(request, device=device)
        return Response({"detail": _("Your phone can now receive sign-in codes.")})


class RecoveryCodesApi(APIView):
    @extend_schema(
        tags=["mfa"],
        summary="Replace your recovery codes",
        operation_id="mfa_recovery_codes_replace",
        description="With your current password: new codes (shown once); the old ones stop "
        "working. MFA_NOT_ENABLED (409) without another second factor.",
        request=PasswordConfirmInput,
        responses={
            200: RecoveryCodesOutput,
            **problems(
                VALIDATION_ERROR, ReauthenticationRequired, MfaRequired, MfaNotEnabled, RateLimited
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        codes = mfa.recovery_codes_regenerate(
            user=user, session_verified=_session_verified(request), request=django_request(request)
        )
        return Response({"recovery_codes": codes})


class DeviceRemoveApi(APIView):
    @extend_schema(
        tags=["mfa"],
        summary="Remove a sign-in method",
        operation_id="mfa_device_remove",
        description="With your current password. Staff keep at least one primary factor "
        "(LAST_FACTOR, 409).",
        request=DeviceRemoveInput,
        responses={
            204: None,
            **problems(
                VALIDATION_ERROR,
                ReauthenticationRequired,
                MfaRequired,
                DeviceNotFound,
                LastFactorRemoval,
                RateLimited,
            ),
        },
    )
    def post(self, request: Request) -> Response:
        data = DeviceRemoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        mfa.device_remove(
            user=user,
            device_id=data.validated_data["device_id"],
            session_verified=_session_verified(request),
            request=django_request(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
