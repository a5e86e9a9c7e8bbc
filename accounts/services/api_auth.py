"""The API's login: password, then (if the account has MFA) a second factor, then tokens.

A password alone never yields a token for an account with a factor (passkeys included):
the first step returns a short-lived, single-use ``mfa_token`` that only /auth/mfa accepts.
A passkey answers options from /auth/mfa/passkey/begin, kept server-side for that
``mfa_token`` only, used once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.errors import EmailNotVerified, InvalidToken
from accounts.models import User
from accounts.selectors.mfa import Method, methods_available, user_has_mfa
from accounts.selectors.users import user_email_verified
from accounts.services import mfa_verification, sessions
from accounts.services.auth import login_check_password, login_succeeded
from accounts.services.registration import email_confirmation_send
from audit.services import record

_MFA_SALT = "accounts.api.mfa-pending"


@dataclass(frozen=True)
class LoginOutcome:
    status: str  # "authenticated" | "mfa_required"
    tokens: sessions.TokenPair | None = None
    mfa_token: str = ""
    methods: list[str] = field(default_factory=list)
    mfa_enrolment_required: bool = False

    def as_dict(self) -> dict[str, object]:
        if self.status == "authenticated":
            assert self.tokens is not None  # noqa: S101
            return {
                "status": self.status,
                "tokens": self.tokens.as_dict(),
                "mfa_enrolment_required": self.mfa_enrolment_required,
            }
        return {
            "status": self.status,
            "mfa_token": self.mfa_token,
            "methods": self.methods,
            "expires_in": settings.API_MFA_PENDING_LIFETIME,
        }


def _require_verified_email(request: HttpRequest, user: User) -> None:
    """An unconfirmed account is refused, and its link is sent again (rate limited)."""
    if user_email_verified(user=user):
        return
    address = EmailAddress.objects.filter(user=user, primary=True).first()
    if address is not None:
        email_confirmation_send(address=address, request=request)
    raise EmailNotVerified(_("Confirm your email address first: we have sent you a new link."))


def api_login(
    *,
    request: HttpRequest,
    email: str,
    password: str,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> LoginOutcome:
    """First step: the password. Tokens, or (the account has a second factor the API can
    take) a short-lived ``mfa_token`` for the second step."""
    user = login_check_password(
        request=request,
        email=email,
        password=password,
        challenge_token=challenge_token,
        challenge_nonce=challenge_nonce,
    )
    _require_verified_email(request, user)
    if user_has_mfa(user=user):
        methods = methods_available(user=user)
        token = signing.dumps({"u": str(user.public_id), "n": secrets.token_hex(8)}, salt=_MFA_SALT)
        record(action="accounts.login_mfa_pending", actor=user, target=user, request=request)
        return LoginOutcome(status="mfa_required", mfa_token=token, methods=methods)
    tokens = sessions.api_session_start(user=user, request=request)
    login_succeeded(request=request, user=user)
    return LoginOutcome(
        status="authenticated", tokens=tokens, mfa_enrolment_required=user.is_staff_member
    )


def mfa_pending_user(*, mfa_token: str) -> User:
    """The active user a pending login's ``mfa_token`` was issued to, unless it expired or
    its second step was already completed."""
    try:
        payload = signing.loads(
            mfa_token, salt=_MFA_SALT, max_age=settings.API_MFA_PENDING_LIFETIME
        )
    except signing.BadSignature:
        raise InvalidToken(
            _("The sign-in step expired. Start again with your email and password.")
        ) from None
    user = User.objects.filter(public_id=payload.get("u"), is_active=True).first()
    if user is None or cache.get(_spent_key(mfa_token)):
        raise InvalidToken(_("The sign-in step expired. Start again with your email and password."))
    return user


def _spent_key(mfa_token: str) -> str:
    return f"mfa-pending-spent:{hashlib.sha256(mfa_token.encode()).hexdigest()}"


def _passkey_state_key(mfa_token: str) -> str:
    return f"mfa-pending-passkey:{hashlib.sha256(mfa_token.encode()).hexdigest()}"


def api_login_passkey_begin(*, request: HttpRequest, mfa_token: str) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptions for the pending login's passkeys. The state to check
    the answer is kept server-side for this ``mfa_token``, for one answer, until the step
    expires; asking again replaces it."""
    user = mfa_pending_user(mfa_token=mfa_token)
    options, state = mfa_verification.passkey_options(user=user, request=request)
    cache.set(_passkey_state_key(mfa_token), state, settings.API_MFA_PENDING_LIFETIME)
    return options


def _passkey_state_take(mfa_token: str) -> dict[str, Any] | None:
    """The options' state, removed as it is read: an assertion is checked once."""
    key = _passkey_state_key(mfa_token)
    state: dict[str, Any] | None = cache.get(key)
    return state if state is not None and cache.delete(key) else None


def api_login_mfa(
    *,
    request: HttpRequest,
    mfa_token: str,
    method: str,
    code: str = "",
    credential: dict[str, Any] | None = None,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> LoginOutcome:
    """Second step: a valid code, or a passkey assertion answering the options from
    :func:`api_login_passkey_begin`, turns the pending login into a verified API session."""
    user = mfa_pending_user(mfa_token=mfa_token)
    if method == Method.PASSKEY:
        device = mfa_verification.passkey_verify(
            user=user,
            state=_passkey_state_take(mfa_token),
            credential=credential or {},
            request=request,
        )
    else:
        device = mfa_verification.otp_verify(
            user=user,
            method=method,
            code=code,
            request=request,
            challenge_token=challenge_token,
            challenge_nonce=challenge_nonce,
        )
    if not cache.add(_spent_key(mfa_token), 1, settings.API_MFA_PENDING_LIFETIME + 60):
        raise InvalidToken(_("This sign-in step was already completed."))
    tokens = sessions.api_session_start(user=user, request=request, mfa_device=device.persistent_id)
    login_succeeded(request=request, user=user, mfa_method=method)
    return LoginOutcome(status="authenticated", tokens=tokens)


def api_login_sms(*, mfa_token: str) -> None:
    """Text a sign-in code to the pending login's phone, if the account has one."""
    user = mfa_pending_user(mfa_token=mfa_token)
    mfa_verification.sms_challenge_send(user=user)
