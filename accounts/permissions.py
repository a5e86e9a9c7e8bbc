"""Authorization of the accounts app: predicates and DRF permissions. Deny by default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import AuthSession, User
from accounts.roles import ADMIN_SITE_ROLES, Role


def mfa_satisfied(*, user: User, auth: Any) -> bool:
    """Staff must have passed a second factor in this session (token family or browser)."""
    if not user.is_staff_member:
        return True
    if isinstance(auth, AuthSession):
        return auth.is_mfa_verified
    return bool(getattr(user, "is_verified", lambda: False)())


class StaffMfaVerified(BasePermission):
    """Default on every endpoint: staff reach nothing without a verified second factor."""

    message = _("Staff accounts must set up and pass two-factor authentication first.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return True  # IsAuthenticated decides
        return mfa_satisfied(user=user, auth=request.auth)


# --- Administering accounts (the admin and any other door) -----------------------------------

# Translated when a refusal is made (str(...)), in the language of the person refused.
_SELF = _("Nobody changes their own privileges: ask another administrator.")
_NOT_AN_ADMINISTRATOR = _("Only administrators change accounts.")
_SUPERUSER_FLAG = _("Only a superuser grants or removes superuser status.")
_ADMIN_SITE_ROLE = _(
    "Only a superuser grants administration-site roles (administrator, compliance officer)."
)
_PRIVILEGED_ACCOUNT = _(
    "Only a superuser changes the accounts of administrators, compliance officers and superusers."
)


def holds_admin_site_privileges(*, user: User) -> bool:
    """Superusers and the roles that open the Django admin ("staff privileges")."""
    return user.is_superuser or user.role in ADMIN_SITE_ROLES


def account_administration_refusal(*, actor: User, user: User) -> str | None:
    """Why ``actor`` may not change ``user``'s account details (email address, name, a
    password reset) as an administrator, or None if they may. One's own account is changed
    on one's own account pages, with re-authentication."""
    if actor.pk == user.pk:
        return gettext("Change your own account on your account pages, not here.")
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        return str(_NOT_AN_ADMINISTRATOR)
    if holds_admin_site_privileges(user=user) and not actor.is_superuser:
        return str(_PRIVILEGED_ACCOUNT)
    return None


def privilege_change_refusals(
    *, actor: User | None, user: User | None, changes: Mapping[str, object]
) -> dict[str, str]:
    """Why each privilege change (``role``, ``is_superuser``, ``is_active``) is refused; empty
    when all are allowed. ``user`` None: a new account; ``actor`` None: an operator's command.

    Only superusers grant superuser or admin-site privileges or touch accounts that hold them;
    nobody changes their own privileges.
    """
    if actor is None:
        return {}
    refusals: dict[str, str] = {}
    for field, value in changes.items():
        if user is not None and actor.pk == user.pk:
            refusals[field] = str(_SELF)
        elif not (actor.is_superuser or actor.role == Role.ADMIN):
            refusals[field] = str(_NOT_AN_ADMINISTRATOR)
        elif actor.is_superuser:
            continue
        elif user is not None and holds_admin_site_privileges(user=user):
            refusals[field] = str(_PRIVILEGED_ACCOUNT)
        elif field == "is_superuser":
            refusals[field] = str(_SUPERUSER_FLAG)
        elif field == "role" and value in ADMIN_SITE_ROLES:
            refusals[field] = str(_ADMIN_SITE_ROLE)
    return refusals


def can_decide_identity_changes(*, user: User) -> bool:
    """The reception and administrators approve or reject patients' identity changes."""
    return user.is_active and (user.is_superuser or user.role in (Role.RECEPTIONIST, Role.ADMIN))


def can_register_patients(*, user: User) -> bool:
    """The front desk and administrators register a walk-in patient (an account and its
    profile; the patient chooses their password from the emailed link)."""
    return user.is_active and (user.is_superuser or user.role in (Role.RECEPTIONIST, Role.ADMIN))
