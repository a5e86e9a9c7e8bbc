"""The accounts REST API (/api/v1/auth/..., /api/v1/account/...). Thin: parse, call a service, render.

The inputs reuse allauth's forms where allauth owns the flow (sign-up, password reset and
change, email change), as allauth's own headless API does, so the rules are the same as
on the web pages.
"""

from __future__ import annotations

import base64
from typing import Any

from allauth.account.forms import AddEmailForm, UserTokenForm
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import InvalidToken, ReauthenticationRequired
from accounts.forms import (
    HospitalChangePasswordForm,
    HospitalResetPasswordForm,
    HospitalResetPasswordKeyForm,
    PatientSignupForm,
)
from accounts.models import AuthSession, User
from accounts.selectors import directory, profiles
from accounts.serializers import (
    CodeInput,
    DepartmentSerializer,
    DetailOutput,
    DeviceOutput,
    DeviceRemoveInput,
    EmailChangeInput,
    EmailInput,
    EndedOutput,
    KeyInput,
    LoginInput,
    LoginOutput,
    MeOutput,
    MfaInput,
    MfaSmsInput,
    PasswordChangeInput,
    PasswordConfirmInput,
    PasswordResetConfirmInput,
    PatientProfileSerializer,
    PhoneInput,
    RecoveryCodesOutput,
    RefreshInput,
    SessionOutput,
    SignupInput,
    StaffProfileOutput,
    TokenPairOutput,
    TotpSetupOutput,
)
from accounts.services import api_auth, mfa, sessions, users
from core.errors import NotFoundError

PROBLEM = OpenApiResponse(description="Problem details (RFC 9457): code, detail, field errors.")
ACCEPTED_DETAIL = "If this address can be used, we have sent an email with the next step."


def _django_request(request: Request) -> HttpRequest:
    return request._request


def _form_errors(form: Any) -> ValidationError:
    """allauth's field names → the API's, so errors point at what the client sent."""
    renames = {"password1": "password", "oldpassword": "current_password", "login": "email"}
    errors = {renames.get(field, field): messages for field, messages in form.errors.items()}
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return ValidationError(errors)


class PublicApi(APIView):
    """Endpoints used before signing in: no session, no CSRF, abuse limits in the services."""

    authentication_classes: list[type] = []
    permission_classes = (permissions.AllowAny,)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - IsAuthenticated ran
    return request.user


def _current_session(request: Request) -> AuthSession | None:
    if isinstance(request.auth, AuthSession):
        return request.auth
    return sessions.web_session_of(_django_request(request))


def _require_password(user: User, password: str) -> None:
    if not user.check_password(password):
        raise ReauthenticationRequired("That is not your current password.")


# --- Sign-in --------------------------------------------------------------------------------


class LoginApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Sign in with email and password",
        description=(
            "Returns tokens, or `mfa_required` with an `mfa_token` for /auth/mfa when the account "
            "has two-factor authentication. After repeated failures on an account the answer is "
            "`CHALLENGE_REQUIRED` with a proof-of-work `challenge`: find a nonce such that "
            "SHA-256(`token:nonce`) starts with `difficulty_bits` zero bits and send both back. "
            "Unknown emails and wrong passwords get the same answer."
        ),
        request=LoginInput,
        responses={200: LoginOutput, 400: PROBLEM, 403: PROBLEM, 429: PROBLEM},
        examples=[
            OpenApiExample(
                "Request",
                value={
                    "email": "ada.patient@hospital.example",
                    "password": "demo-hospital-passphrase-2026",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Second factor needed",
                value={
                    "status": "mfa_required",
                    "mfa_token": "eyJ1Ijo...",
                    "methods": ["totp", "recovery"],
                    "expires_in": 300,
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = api_auth.api_login(request=_django_request(request), **data.validated_data)
        return Response(outcome.as_dict())


class LoginMfaApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Finish sign-in with a second factor",
        request=MfaInput,
        responses={200: LoginOutput, 400: PROBLEM, 401: PROBLEM, 429: PROBLEM},
        examples=[
            OpenApiExample(
                "TOTP",
                value={"mfa_token": "eyJ1Ijo...", "method": "totp", "code": "123456"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = MfaInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = api_auth.api_login_mfa(request=_django_request(request), **data.validated_data)
        return Response(outcome.as_dict())


class LoginMfaSmsApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Text a sign-in code to the account's phone",
        request=MfaSmsInput,
        responses={202: DetailOutput, 401: PROBLEM, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = MfaSmsInput(data=request.data)
        data.is_valid(raise_exception=True)
        api_auth.api_login_sms(mfa_token=data.validated_data["mfa_token"])
        return Response(
            {"detail": "If the account has a phone, a code was sent to it."},
            status=status.HTTP_202_ACCEPTED,
        )


class RefreshApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new token pair",
        description="Refresh tokens are single use. Presenting one that was already exchanged ends the whole session.",
        request=RefreshInput,
        responses={200: TokenPairOutput, 401: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = sessions.api_tokens_refresh(
            refresh_token=data.validated_data["refresh_token"], request=_django_request(request)
        )
        return Response(pair.as_dict())


class LogoutApi(APIView):
    permission_classes = (permissions.IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="Sign out this session (revokes its tokens)",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        current = _current_session(request)
        if current is not None:
            sessions.session_end(
                session=current,
                reason=sessions.EndReason.LOGOUT,
                actor=_user(request),
                request=_django_request(request),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignupApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Create a patient account",
        description="Always answers the same way, whether or not the address already has an account. The account works once the emailed link is opened.",
        request=SignupInput,
        responses={202: DetailOutput, 400: PROBLEM, 429: PROBLEM},
        examples=[
            OpenApiExample(
                "Request",
                value={
                    "email": "new.patient@example.org",
                    "password": "a long passphrase of my own",
                    "legal_name": "Mary Seacole",
                    "date_of_birth": "1985-11-23",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = _django_request(request)
        form = PatientSignupForm(
            data={
                "email": data.validated_data["email"],
                "password1": data.validated_data["password"],
                "legal_name": data.validated_data["legal_name"],
                "date_of_birth": data.validated_data["date_of_birth"],
            }
        )
        if not form.is_valid():
            raise _form_errors(form)
        user, _ = form.try_save(django_request)
        if user is not None:
            EmailAddress.objects.get_primary(user).send_confirmation(django_request, signup=True)
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class EmailVerifyApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Confirm an email address with the key from the emailed link",
        request=KeyInput,
        responses={200: DetailOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = KeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        confirmation = EmailConfirmationHMAC.from_key(data.validated_data["key"])
        if confirmation is None or confirmation.confirm(_django_request(request)) is None:
            raise ValidationError(
                {"key": "This link is invalid or has expired. Ask for a new one."}
            )
        return Response({"detail": "Your email address is confirmed. You can sign in."})


class EmailVerifyResendApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Send the confirmation link again",
        request=EmailInput,
        responses={202: DetailOutput, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        users.email_verification_resend(
            email=data.validated_data["email"], request=_django_request(request)
        )
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class PasswordResetApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Email a password-reset link",
        description="Same answer for known and unknown addresses.",
        request=EmailInput,
        responses={202: DetailOutput, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        form = HospitalResetPasswordForm(data={"email": data.validated_data["email"]})
        if form.is_valid():
            form.save(_django_request(request))
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the key from the reset link",
        request=PasswordResetConfirmInput,
        responses={200: DetailOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        uidb36, _, key = data.validated_data["key"].partition("-")
        token_form = UserTokenForm(data={"uidb36": uidb36, "key": key})
        if not token_form.is_valid():
            raise ValidationError(
                {"key": "This reset link is invalid or has expired. Ask for a new one."}
            )
        form = HospitalResetPasswordKeyForm(
            user=token_form.reset_user,
            temp_key=key,
            data={
                "password1": data.validated_data["password"],
                "password2": data.validated_data["password"],
            },
        )
        if not form.is_valid():
            raise _form_errors(form)
        form.save()
        return Response({"detail": "Your password was changed. Sign in with it."})


# --- The signed-in account --------------------------------------------------------------------


class MeApi(APIView):
    @extend_schema(tags=["account"], summary="The signed-in account", responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        user = _user(request)
        user.mfa_enabled = mfa.user_has_mfa(user)  # type: ignore[attr-defined]
        user.email_verified = EmailAddress.objects.filter(user=user, verified=True).exists()  # type: ignore[attr-defined]
        return Response(MeOutput(user).data)


class PatientProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your patient profile",
        responses={200: PatientProfileSerializer, 404: PROBLEM},
    )
    def get(self, request: Request) -> Response:
        profile = profiles.patient_profile_of(user=_user(request))
        if profile is None:
            raise NotFoundError("This account has no patient profile.")
        return Response(PatientProfileSerializer(profile).data)

    @extend_schema(
        tags=["account"],
        summary="Change your patient profile",
        request=PatientProfileSerializer,
        responses={200: PatientProfileSerializer, 400: PROBLEM, 404: PROBLEM},
        examples=[
            OpenApiExample("Change phone", value={"phone": "+44 20 7946 0958"}, request_only=True)
        ],
    )
    def patch(self, request: Request) -> Response:
        user = _user(request)
        profile = profiles.patient_profile_of(user=user)
        if profile is None:
            raise NotFoundError("This account has no patient profile.")
        data = PatientProfileSerializer(profile, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = users.patient_profile_update(
            profile=profile,
            changed_by=user,
            request=_django_request(request),
            **data.validated_data,
        )
        return Response(PatientProfileSerializer(updated).data)


class StaffProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your staff profile",
        responses={200: StaffProfileOutput, 404: PROBLEM},
    )
    def get(self, request: Request) -> Response:
        profile = profiles.staff_profile_of(user=_user(request))
        if profile is None:
            raise NotFoundError("This account has no staff profile.")
        return Response(StaffProfileOutput(profile).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your password (ends every other session)",
        request=PasswordChangeInput,
        responses={200: DetailOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        form = HospitalChangePasswordForm(
            user=user,
            data={
                "oldpassword": data.validated_data["current_password"],
                "password1": data.validated_data["new_password"],
                "password2": data.validated_data["new_password"],
            },
        )
        if not form.is_valid():
            raise _form_errors(form)
        form.save_keeping(session=_current_session(request), request=_django_request(request))
        return Response({"detail": "Your password was changed. Other sessions were signed out."})


class EmailChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your email address (the new one must be confirmed)",
        request=EmailChangeInput,
        responses={202: DetailOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = EmailChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        form = AddEmailForm(user=user, data={"email": data.validated_data["email"]})
        if not form.is_valid():
            raise _form_errors(form)
        form.save(_django_request(request))
        return Response(
            {
                "detail": "We sent a link to the new address. It replaces the old one once confirmed."
            },
            status=status.HTTP_202_ACCEPTED,
        )


class DeactivateApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Deactivate your account",
        request=PasswordConfirmInput,
        responses={204: None, 403: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        users.user_deactivate(user=user, deactivated_by=user, request=_django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Where you are signed in",
        responses={200: SessionOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        current = _current_session(request)
        rows = sessions.sessions_active_for(user=_user(request))
        return Response(
            SessionOutput(
                rows, many=True, context={"current_pk": current.pk if current else None}
            ).data
        )


class SessionRevokeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Sign out one of your sessions",
        request=None,
        responses={204: None, 404: PROBLEM},
    )
    def delete(self, request: Request, session_id: str) -> Response:
        sessions.session_revoke(
            user=_user(request), session_public_id=session_id, request=_django_request(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsEndOthersApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Sign out everywhere else",
        request=None,
        responses={200: EndedOutput},
    )
    def post(self, request: Request) -> Response:
        ended = sessions.sessions_end_others(
            user=_user(request),
            keep=_current_session(request),
            reason=sessions.EndReason.REVOKED,
            request=_django_request(request),
        )
        return Response({"ended": ended})


# --- MFA management ------------------------------------------------------------------------


class MfaEnrolmentApi(APIView):
    """Open to staff who have not enrolled yet (StaffMfaVerified is not applied)."""

    permission_classes = (permissions.IsAuthenticated,)


class DeviceListApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"], summary="Your sign-in methods", responses={200: DeviceOutput(many=True)}
    )
    def get(self, request: Request) -> Response:
        return Response(DeviceOutput(mfa.device_summaries(_user(request)), many=True).data)


def _verified_now(request: Request, device_id: str) -> None:
    current = _current_session(request)
    if (
        isinstance(current, AuthSession)
        and current.kind == AuthSession.Kind.API
        and not current.mfa_device
    ):
        AuthSession.objects.filter(pk=current.pk).update(mfa_device=device_id)


class TotpSetupApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Start setting up an authenticator app",
        request=PasswordConfirmInput,
        responses={200: TotpSetupOutput, 403: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        device = mfa.totp_enrolment_start(user=user)
        return Response(
            {"secret": base64.b32encode(device.bin_key).decode(), "otpauth_url": device.config_url}
        )


class TotpConfirmApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Confirm the authenticator app with a code",
        request=CodeInput,
        responses={200: RecoveryCodesOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        device, codes = mfa.totp_enrolment_confirm(
            user=_user(request), code=data.validated_data["code"], request=_django_request(request)
        )
        _verified_now(request, device.persistent_id)
        return Response({"recovery_codes": codes})


class SmsSetupApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Add a phone: texts it a code",
        request=PhoneInput,
        responses={202: DetailOutput, 400: PROBLEM, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PhoneInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        try:
            mfa.sms_enrolment_start(
                user=user, phone=data.validated_data["phone"], request=_django_request(request)
            )
        except ValidationError as error:
            raise serializers.ValidationError({"phone": error.messages}) from None
        return Response({"detail": "We sent a code by SMS."}, status=status.HTTP_202_ACCEPTED)


class SmsConfirmApi(MfaEnrolmentApi):
    @extend_schema(
        tags=["mfa"],
        summary="Confirm the phone with the code it received",
        request=CodeInput,
        responses={200: DetailOutput, 400: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        device = mfa.sms_enrolment_confirm(
            user=_user(request), code=data.validated_data["code"], request=_django_request(request)
        )
        _verified_now(request, device.persistent_id)
        return Response({"detail": "Your phone can now receive sign-in codes."})


class RecoveryCodesApi(APIView):
    @extend_schema(
        tags=["mfa"],
        summary="Replace your recovery codes",
        request=PasswordConfirmInput,
        responses={200: RecoveryCodesOutput, 403: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        if not mfa.user_has_mfa(user):
            raise NotFoundError("Set up an authenticator app or a phone first.")
        return Response(
            {
                "recovery_codes": mfa.recovery_codes_generate(
                    user=user, request=_django_request(request)
                )
            }
        )


class DeviceRemoveApi(APIView):
    @extend_schema(
        tags=["mfa"],
        summary="Remove a sign-in method",
        request=DeviceRemoveInput,
        responses={204: None, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = DeviceRemoveInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        _require_password(user, data.validated_data["password"])
        mfa.device_remove(
            user=user, device_id=data.validated_data["device_id"], request=_django_request(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class DepartmentListApi(APIView):
    @extend_schema(
        tags=["directory"],
        summary="Departments of the hospital",
        responses={200: DepartmentSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(DepartmentSerializer(directory.departments_active(), many=True).data)


__all__ = ["InvalidToken"]
