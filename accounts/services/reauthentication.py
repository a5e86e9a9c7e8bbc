"""Asking for the current password again before a sensitive change: deactivation, an email
change, adding or removing a factor, new recovery codes, a new password. Pages, the API and
allauth's reauthentication page all come here, so one per-account limit applies to all of
them and every failure is audited: a stolen session or access token is no password oracle."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts import ratelimits
from accounts.errors import ReauthenticationRequired
from accounts.models import User
from audit.services import Outcome, record
from core.ratelimit import RateLimited


def reauthenticate(*, user: User, password: str, request: HttpRequest | None) -> None:
    """Return if ``password`` is the user's current password, else raise
    ReauthenticationRequired (audited). After too many failures on the account the answer is
    RateLimited (429) whatever the password, until the window ends (audited too)."""
    try:
        ratelimits.reauthentication_attempt(user_id=user.pk)
    except RateLimited:
        record(
            action="accounts.reauthentication_limited",
            outcome=Outcome.DENIED,
            actor=user,
            target=user,
            request=request,
            details={"reason": "too_many_failures"},
        )
        raise
    if not user.check_password(password):
        ratelimits.reauthentication_failed(user_id=user.pk)
        record(
            action="accounts.reauthentication_failed",
            outcome=Outcome.FAILURE,
            actor=user,
            target=user,
            request=request,
            details={"reason": "wrong_password"},
        )
        raise ReauthenticationRequired(_("That is not your current password."))
    record(
        action="accounts.reauthenticated",
        actor=user,
        target=user,
        request=request,
        details={"method": "password"},
    )
