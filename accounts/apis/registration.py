"""Getting an account through the API: sign-up, confirming the address, password reset."""

from __future__ import annotations

from allauth.account.forms import UserTokenForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.apis import examples
from accounts.apis.base import ACCEPTED_DETAIL, PublicApi, form_errors
from accounts.forms import (
    HospitalResetPasswordForm,
    HospitalResetPasswordKeyForm,
    PatientSignupForm,
)
from accounts.serializers.auth import KeyInput
from accounts.serializers.common import DetailOutput
from accounts.serializers.registration import EmailInput, PasswordResetConfirmInput, SignupInput
from accounts.services import registration
from core.api import django_request, problems
from core.errors import VALIDATION_ERROR
from core.ratelimit import RateLimited


class SignupApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Create a patient account",
        operation_id="auth_signup",
        description="Always answers the same way, whether or not the address already has an account. The account works once the emailed link is opened.",
        request=SignupInput,
        responses={202: DetailOutput, **problems(VALIDATION_ERROR, RateLimited)},
        examples=[examples.SIGNUP_REQUEST],
    )
    def post(self, request: Request) -> Response:
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        with registration.signup_answer_time():
            return self._sign_up(request, data)

    def _sign_up(self, request: Request, data: SignupInput) -> Response:
        form = PatientSignupForm(
            data={
                "email": data.validated_data["email"],
                "password1": data.validated_data["password"],
                "legal_name": data.validated_data["legal_name"],
                "date_of_birth": data.validated_data["date_of_birth"],
            }
        )
        if not form.is_valid():
            raise form_errors(form)
        user, _response = form.try_save(django_request(request))
        registration.signup_confirmation_send(user=user, request=django_request(request))
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class EmailVerifyApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Confirm an email address with the key from the emailed link",
        operation_id="auth_email_verify",
        description="The link sent after sign-up (or an address change) ends in the key.",
        request=KeyInput,
        responses={200: DetailOutput, **problems(VALIDATION_ERROR)},
    )
    def post(self, request: Request) -> Response:
        data = KeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration.email_address_confirm(
            key=data.validated_data["key"], request=django_request(request)
        )
        return Response({"detail": _("Your email address is confirmed. You can sign in.")})


class EmailVerifyResendApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Send the confirmation link again",
        operation_id="auth_email_verify_resend",
        description="Same answer for known and unknown addresses.",
        request=EmailInput,
        responses={202: DetailOutput, **problems(VALIDATION_ERROR, RateLimited)},
    )
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration.email_verification_resend(
            email=data.validated_data["email"], request=django_request(request)
        )
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class PasswordResetApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Email a password-reset link",
        operation_id="auth_password_reset",
        description="Same answer for known and unknown addresses.",
        request=EmailInput,
        responses={202: DetailOutput, **problems(VALIDATION_ERROR, RateLimited)},
    )
    def post(self, request: Request) -> Response:
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        form = HospitalResetPasswordForm(data={"email": data.validated_data["email"]})
        if form.is_valid():
            form.save(django_request(request))
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the key from the reset link",
        operation_id="auth_password_reset_confirm",
        description="The key is the end of the emailed link; the new password must pass the "
        "password rules. Every session of the account ends.",
        request=PasswordResetConfirmInput,
        responses={200: DetailOutput, **problems(VALIDATION_ERROR)},
    )
    def post(self, request: Request) -> Response:
        data = PasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        uidb36, _dash, key = data.validated_data["key"].partition("-")
        token_form = UserTokenForm(data={"uidb36": uidb36, "key": key})
        if not token_form.is_valid():
            raise ValidationError(
                {"key": _("This reset link is invalid or has expired. Ask for a new one.")}
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
            raise form_errors(form)
        form.save()  # the new password, then accounts.services.passwords.password_reset_completed
        return Response({"detail": _("Your password was changed. Sign in with it.")})
