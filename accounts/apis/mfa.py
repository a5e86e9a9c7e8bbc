"""Managing one's second factors through the API: list, set up (authenticator app, phone),
recovery codes, removal."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django_otp.models import Device
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
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
from core.api import PROBLEM, django_request


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
        tags=["mfa"], summary="Your sign-in methods", responses={200: DeviceOutput(many=True)}
    )
    def get(self, request: Request) -> Response:
        return Response(
            DeviceOutput(device_summaries(user=signed_in_user(request)), many=True).data
        )


class TotpSetupApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Start setting up an authenticator app",
        request=PasswordConfirmInput,
        responses={200: TotpSetupOutput, 403: PROBLEM, 429: PROBLEM},
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
        request=CodeInput,
        responses={200: RecoveryCodesOutput, 400: PROBLEM, 403: PROBLEM},
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
        request=PhoneInput,
        responses={202: DetailOutput, 400: PROBLEM, 403: PROBLEM, 429: PROBLEM},
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
        return Response({"detail": "We sent a code by SMS."}, status=status.HTTP_202_ACCEPTED)


class SmsConfirmApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Confirm the phone with the code it received",
        request=CodeInput,
        responses={200: DetailOutput, 400: PROBLEM, 403: PROBLEM},
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
        return Response({"detail": "Your phone can now receive sign-in codes."})


class RecoveryCodesApi(APIView):
    @extend_schema(
        tags=["mfa"],
        summary="Replace your recovery codes",
        request=PasswordConfirmInput,
        responses={200: RecoveryCodesOutput, 403: PROBLEM, 409: PROBLEM, 429: PROBLEM},
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
        request=DeviceRemoveInput,
        responses={204: None, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 429: PROBLEM},
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
