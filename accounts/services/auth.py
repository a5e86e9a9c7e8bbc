"""Password login checks shared by the web login form and the API: rate limits,
the proof-of-work challenge after repeated failures, no account enumeration, audit."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from django.http import HttpRequest

from accounts import ratelimits
from accounts.errors import ChallengeRequired, InvalidCredentials
from accounts.models import User
from accounts.selectors.users import user_get_by_email
from audit.services import AuditTarget, Outcome, record
from core import challenge
from core.caller import client_ip


def _login_target(email: str) -> AuditTarget:
    """What a refused login attempt is recorded against: the account if the email has one,
    else one shared target (the audit trail does not keep unknown emails)."""
    known = user_get_by_email(email=email)
    return (
        AuditTarget("accounts.user", str(known.public_id))
        if known
        else AuditTarget("accounts.login")
    )


def login_check_password(
    *,
    request: HttpRequest,
    email: str,
    password: str,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> User:
    """The user whose email and password these are, or a refusal that says the same
    thing for unknown emails, wrong passwords and deactivated accounts."""
    email = (email or "").strip()
    ratelimits.login_attempt(ip=client_ip(request), email=email)

    failures = ratelimits.login_failures(email=email)
    if failures >= settings.LOGIN_CHALLENGE_AFTER_FAILURES and not challenge.verify(
        token=challenge_token,
        nonce=challenge_nonce,
        subject=email,
        minimum_bits=settings.LOGIN_CHALLENGE_DIFFICULTY_BITS,
    ):
        record(
            action="accounts.login_challenged",
            outcome=Outcome.DENIED,
            target=_login_target(email),
            request=request,
            details={"recent_failures": failures},
        )
        raise ChallengeRequired(
            challenge=challenge.issue(subject=email, bits=settings.LOGIN_CHALLENGE_DIFFICULTY_BITS)
        )

    user = authenticate(request, email=email, password=password)
    if user is None:
        ratelimits.login_failure(email=email)
        record(
            action="accounts.login_failed",
            outcome=Outcome.FAILURE,
            target=_login_target(email),
            request=request,
            details={"reason": "bad_credentials"},
        )
        raise InvalidCredentials()
    ratelimits.login_failures_reset(email=email)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    return user


def login_succeeded(*, request: HttpRequest, user: User, mfa_method: str = "") -> None:
    """Audit a completed sign-in with the factors it used."""
    record(
        action="accounts.login",
        actor=user,
        target=user,
        request=request,
        details={"factors": ["password", mfa_method] if mfa_method else ["password"]},
    )
