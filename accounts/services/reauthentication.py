"""Asking for the current password again before a sensitive change (pages and API)."""

from __future__ import annotations

from accounts.errors import ReauthenticationRequired
from accounts.models import User


def reauthenticate(*, user: User, password: str) -> None:
    """Raise ReauthenticationRequired unless ``password`` is the user's current password."""
    if not user.check_password(password):
        raise ReauthenticationRequired("That is not your current password.")
