"""Reads on accounts."""

from __future__ import annotations

from accounts.models import User


def user_get_by_email(*, email: str) -> User | None:
    """The account with this email, whatever its letter case, or None."""
    return User.objects.filter(email__iexact=email.strip()).first()
