"""Signing in and out through the API: password, second factor, token refresh, logout."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import examples
from accounts.apis.base import PublicApi
from accounts.authentication import signed_in_user
from accounts.errors import (
    AccountLocked,
    ChallengeRequired,
    EmailNotVerified,
    InvalidCredentials,
    InvalidOtp,
    InvalidPasskey,
    InvalidToken,
)
from accounts.selectors.sessions import current_session
from accounts.serializers.auth import (
    KeyInput,
    LoginAuthenticated,
    LoginInput,
    LoginOutput,
    MfaInput,
    MfaSmsInput,
    PasskeyOptionsOutput,
    RefreshInput,
    TokenPairOutput,
)
from accounts.serializers.common import DetailOutput
from accounts.services import api_auth, lockout, sessions
from core.api import django_request, problems
from core.errors import VALIDATION_ERROR
from core.ratelimit import RateLimited


class LoginApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Sign in with email and password",
        operation_id="auth_login",
        description=(
            "Returns tokens, or `mfa_required` with an `mfa_token` for /auth/mfa when the account "
            "has any second factor (passkeys included). After repeated failures on an account "
            "(from any address) the answer is `CHALLENGE_REQUIRED` with a proof-of-work "
            "`challenge`: find a nonce such that SHA-256(`token:nonce`) starts with "
            "`difficulty_bits` zero bits and send both back. One address trying one account too "
            "often gets 429 (Retry-After); other addresses are not affected. After 100 "
            "consecutive failures the account is locked (403 `ACCOUNT_LOCKED`) until its owner "
            "opens the link emailed to them (/auth/unlock) or resets the password. Unknown "
            "emails and wrong passwords get the same answers."
        ),
        request=LoginInput,
        responses={
            200: LoginOutput,
            **problems(
                VALIDATION_ERROR,
                InvalidCredentials,
                ChallengeRequired,
                AccountLocked,
                EmailNotVerified,
                RateLimited,
            ),
        },
        examples=[
            examples.LOGIN_REQUEST,
            examples.LOGIN_AUTHENTICATED,
            examples.LOGIN_SECOND_FACTOR_NEEDED,
        ],
    )
    def post(self, request: Request) -> Response:
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = api_auth.api_login(request=django_request(request), **data.validated_data)
        return Response(outcome.as_dict())


class LoginMfaApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Finish sign-in with a second factor",
        operation_id="auth_login_mfa",
        description=(
            "One of the `methods` the login step offered: a `code` for `totp`, `sms` or "
            "`recovery`; for `passkey`, the `credential` a passkey returned for the options of "
            "/auth/mfa/passkey/begin (`INVALID_PASSKEY` if it does not verify or the options "
            "were used already). The step can be finished once. After repeated wrong codes on "
            "the account the answer is `CHALLENGE_REQUIRED` (solve it as for /auth/login and "
            "send `challenge_token` and `challenge_nonce`); after 100 the account is locked "
            "(403 `ACCOUNT_LOCKED`)."
        ),
        request=MfaInput,
        responses={
            200: LoginAuthenticated,
            **problems(
                VALIDATION_ERROR,
                InvalidOtp,
                InvalidPasskey,
                ChallengeRequired,
                InvalidToken,
                AccountLocked,
                RateLimited,
            ),
        },
        examples=[
            examples.LOGIN_MFA_TOTP_REQUEST,
            examples.LOGIN_MFA_PASSKEY_REQUEST,
            examples.LOGIN_AUTHENTICATED,
        ],
    )
    def post(self, request: Request) -> Response:
        data = MfaInput(data=request.data)
        data.is_valid(raise_exception=True)
        outcome = api_auth.api_login_mfa(request=django_request(request), **data.validated_data)
        return Response(outcome.as_dict())


class LoginMfaPasskeyBeginApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Start the passkey step: WebAuthn options for the pending sign-in",
        operation_id="auth_login_passkey_begin",
        description=(
            "PublicKeyCredentialRequestOptions (JSON form) for the account's passkeys. Hand "
            "them to the platform's passkey API (Android Credential Manager, iOS "
            "ASAuthorizationPlatformPublicKeyCredentialProvider, or a browser's "
            "navigator.credentials.get()) and send its answer to /auth/mfa with method "
            "`passkey`. The options are bound to this `mfa_token`, answer once, and expire "
            "with it. The app's origin must be one of WEBAUTHN_ALLOWED_ORIGINS."
        ),
        request=MfaSmsInput,
        responses={
            200: PasskeyOptionsOutput,
            **problems(VALIDATION_ERROR, InvalidToken, AccountLocked, RateLimited),
        },
        examples=[examples.PASSKEY_OPTIONS],
    )
    def post(self, request: Request) -> Response:
        data = MfaSmsInput(data=request.data)
        data.is_valid(raise_exception=True)
        options = api_auth.api_login_passkey_begin(
            request=django_request(request), mfa_token=data.validated_data["mfa_token"]
        )
        return Response(options)


class LoginMfaSmsApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Text a sign-in code to the account's phone",
        operation_id="auth_login_mfa_sms",
        description="For the `sms` method of /auth/mfa: the same answer whether or not the "
        "account has a phone.",
        request=MfaSmsInput,
        responses={202: DetailOutput, **problems(VALIDATION_ERROR, InvalidToken, RateLimited)},
    )
    def post(self, request: Request) -> Response:
        data = MfaSmsInput(data=request.data)
        data.is_valid(raise_exception=True)
        api_auth.api_login_sms(mfa_token=data.validated_data["mfa_token"])
        return Response(
            {"detail": _("If the account has a phone, a code was sent to it.")},
            status=status.HTTP_202_ACCEPTED,
        )


class UnlockApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Unlock a locked account with the key from the emailed link",
        operation_id="auth_unlock",
        description=(
            "The link in the email sent when an account locks ends in /accounts/unlock/<key>/. "
            "A key works once, for the lock it was sent for, within its lifetime."
        ),
        request=KeyInput,
        responses={200: DetailOutput, **problems(VALIDATION_ERROR, RateLimited)},
    )
    def post(self, request: Request) -> Response:
        data = KeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        lockout.account_unlock(key=data.validated_data["key"], request=django_request(request))
        return Response({"detail": _("Your account is unlocked. You can sign in again.")})


class RefreshApi(PublicApi):
    @extend_schema(
        tags=["auth"],
        summary="Exchange a refresh token for a new token pair",
        operation_id="auth_refresh",
        description="Refresh tokens are single use. Presenting one that was already exchanged ends the whole session.",
        request=RefreshInput,
        responses={200: TokenPairOutput, **problems(VALIDATION_ERROR, InvalidToken, RateLimited)},
    )
    def post(self, request: Request) -> Response:
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = sessions.api_tokens_refresh(
            refresh_token=data.validated_data["refresh_token"], request=django_request(request)
        )
        return Response(pair.as_dict())


class LogoutApi(APIView):
    permission_classes = (permissions.IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="Sign out this session (revokes its tokens)",
        operation_id="auth_logout",
        description="Ends the session of the token (or browser session) used: its access and "
        "refresh tokens stop working at once.",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        current = current_session(request=django_request(request), auth=request.auth)
        if current is not None:
            sessions.session_end(
                session=current,
                reason=sessions.EndReason.LOGOUT,
                actor=signed_in_user(request),
                request=django_request(request),
            )
        return Response(status=status.HTTP_204_NO_CONTENT)
