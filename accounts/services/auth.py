"""Password login checks shared by the web login form and the API: rate limits, the
proof-of-work challenge and the lock after repeated failures (accounts.services.lockout),
no account enumeration, audit."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone

from accounts import ratelimits
from accounts.errors import InvalidCredentials
from accounts.events import NewDeviceSignedIn
from accounts.models import AuthSession, User
from accounts.services import lockout
from audit.services import Outcome, record
from core.caller import client_ip, user_agent
from core.events import publish


def login_check_password(
    *,
    request: HttpRequest,
    email: str,
    password: str,
    challenge_token: str = "",
    challenge_nonce: str = "",
) -> User:
    """The user whose email and password these are, or a refusal that says the same
    thing for unknown emails, wrong passwords and deactivated accounts.

    Raises RateLimited (this address, or this address on this account, tried too often),
    AccountLocked, ChallengeRequired or InvalidCredentials."""
    email = (email or "").strip()
    ratelimits.login_attempt(ip=client_ip(request), email=email)
    who = lockout.signing_in_by_email(email=email)
    lockout.attempt_allowed(
        who=who,
        factor=lockout.Factor.PASSWORD,
        request=request,
        challenge_token=challenge_token,
        challenge_nonce=challenge_nonce,
    )

    user = authenticate(request, email=email, password=password)
    if user is None:
        record(
            action="accounts.login_failed",
            outcome=Outcome.FAILURE,
            target=who.target,
            request=request,
            details={"reason": "bad_credentials"},
        )
        lockout.attempt_failed(who=who, factor=lockout.Factor.PASSWORD, request=request)
        raise InvalidCredentials()
    lockout.attempt_succeeded(who=who, factor=lockout.Factor.PASSWORD)
    assert isinstance(user, User)  # noqa: S101 - AUTH_USER_MODEL
    return user


def login_succeeded(*, request: HttpRequest, user: User, mfa_method: str = "") -> None:
    """Audit a completed sign-in with the factors it used; its owner is told of a sign-in
    from a browser or app the account had not used before."""
    record(
        action="accounts.login",
        actor=user,
        target=user,
        request=request,
        details={"factors": ["password", mfa_method] if mfa_method else ["password"]},
    )
    _announce_a_new_device(user=user, request=request)


def _announce_a_new_device(*, user: User, request: HttpRequest) -> None:
    """A sign-in whose user agent none of the account's earlier sessions had (not the
    account's first sign-in: nothing is known to differ from then)."""
    sessions = AuthSession.objects.filter(user=user).order_by("-created_at", "-pk")
    newest = sessions.values_list("pk", "public_id").first()
    if newest is None:
        return
    earlier = sessions.exclude(pk=newest[0])
    if not earlier.exists() or earlier.filter(user_agent=user_agent(request)).exists():
        return
    publish(NewDeviceSignedIn(user_id=user.public_id, at=timezone.now(), session_id=newest[1]))
