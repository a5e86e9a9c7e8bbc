"""What follows a new password: an audit row, and the end of the sessions that knew the
old one. allauth's forms set the password (pages and API alike) and then call these."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from accounts.events import PasswordChanged
from accounts.models import AuthSession, User
from accounts.services.lockout import account_unlock_after_reset
from accounts.services.sessions import EndReason, sessions_end_others
from audit.services import record
from core.events import publish


def password_changed(
    *, user: User, keep_session: AuthSession | None, request: HttpRequest | None
) -> None:
    """The user changed their password: audited, and every other session and API token of
    the account ends. ``keep_session`` is the one they changed it from."""
    record(action="accounts.password_changed", actor=user, target=user, request=request)
    publish(PasswordChanged(user_id=user.public_id, at=timezone.now(), reset=False))
    sessions_end_others(
        user=user, keep=keep_session, reason=EndReason.PASSWORD_CHANGED, request=request
    )


def password_reset_completed(*, user: User, request: HttpRequest | None) -> None:
    """A new password was set from a reset link: audited, every session of the account
    ends (whoever knew the old password is signed out), and a sign-in lock is lifted (the
    owner proved the mailbox is theirs)."""
    record(action="accounts.password_reset", actor=user, target=user, request=request)
    publish(PasswordChanged(user_id=user.public_id, at=timezone.now(), reset=True))
    sessions_end_others(user=user, keep=None, reason=EndReason.PASSWORD_CHANGED, request=request)
    account_unlock_after_reset(user=user, request=request)
