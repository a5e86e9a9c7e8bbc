"""Authorization of the accounts app: predicates and DRF permissions. Deny by default."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import AuthSession, User


def mfa_satisfied(*, user: User, auth: Any) -> bool:
    """Staff must have passed a second factor in this session (token family or browser)."""
    if not user.is_staff_member:
        return True
    if isinstance(auth, AuthSession):
        return auth.is_mfa_verified
    return bool(getattr(user, "is_verified", lambda: False)())


class StaffMfaVerified(BasePermission):
    """Default on every endpoint: staff reach nothing without a verified second factor."""

    message = "Staff accounts must set up and pass two-factor authentication first."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return True  # IsAuthenticated decides
        return mfa_satisfied(user=user, auth=request.auth)
