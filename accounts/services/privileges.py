"""Privileges: a user's role (with its group and admin-site access), superuser status and
whether the account is active. Every door (the admin, commands, later APIs) changes them here:
the rule is ``permissions.privilege_change_refusals``, every change and every refusal is
audited, with the values before and after (roles and flags are not personal data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.errors import PrivilegeChangeRefused
from accounts.models import User
from accounts.permissions import privilege_change_refusals
from accounts.roles import ADMIN_SITE_ROLES, GROUP_NAMES, Role
from accounts.services.sessions import EndReason, sessions_end_others
from audit.services import AuditTarget, Outcome, record

PRIVILEGE_FIELDS: Final = ("role", "is_superuser", "is_active")

__all__ = [
    "UNCHANGED",
    "PrivilegeChangeRefused",
    "privileges_change_check",
    "user_privileges_change",
]


class _Unchanged:
    """Marks an argument the caller did not pass (None and False are real values)."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()


def role_groups_sync(user: User) -> None:
    """The user is in the group of their role and in no other role's group."""
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=GROUP_NAMES[user.role]))
    user.groups.add(*role_groups.filter(name=GROUP_NAMES[user.role]))


def privileges_change_check(
    *,
    user: User | None,
    changed_by: User | None,
    changes: Mapping[str, Any],
    request: HttpRequest | None = None,
    surface: str = "",
) -> None:
    """Refuse the change if ``changed_by`` may not make it: the refusal is audited (field
    names, as an attempt to exceed one's privileges), then ``PrivilegeChangeRefused`` raised.

    Call it outside any transaction that the refusal rolls back. ``user`` None: a new account.
    """
    if "role" in changes and changes["role"] not in Role.values:
        raise ValidationError(
            {"role": _("Unknown role %(role)s.") % {"role": repr(changes["role"])}}
        )
    refusals = privilege_change_refusals(actor=changed_by, user=user, changes=changes)
    if not refusals:
        return
    details: dict[str, Any] = {"fields": sorted(refusals)}
    if surface:
        details["surface"] = surface
    record(
        action="accounts.privileges_change_refused",
        outcome=Outcome.DENIED,
        actor=changed_by,
        target=user if user is not None else AuditTarget(type="accounts.user"),
        request=request,
        details=details,
    )
    raise PrivilegeChangeRefused(refusals)


def user_privileges_change(
    *,
    user: User,
    changed_by: User | None,
    role: str | _Unchanged = UNCHANGED,
    is_superuser: bool | _Unchanged = UNCHANGED,
    is_active: bool | _Unchanged = UNCHANGED,
    request: HttpRequest | None = None,
) -> User:
    """Change a user's role, superuser status or activity, if ``changed_by`` may.

    Groups and admin-site access (``is_staff``) follow the role; every session of the user
    ends (they sign in again under the new privileges, or no longer can). ``changed_by`` None:
    an operator's command.
    """
    wanted = {"role": role, "is_superuser": is_superuser, "is_active": is_active}
    changes = {
        field: value
        for field, value in wanted.items()
        if not isinstance(value, _Unchanged) and getattr(user, field) != value
    }
    if not changes:
        return user
    privileges_change_check(user=user, changed_by=changed_by, changes=changes, request=request)
    with transaction.atomic():
        before = {field: getattr(user, field) for field in changes}
        for field, value in changes.items():
            setattr(user, field, value)
        user.is_staff = user.is_superuser or user.role in ADMIN_SITE_ROLES
        user.save(update_fields=[*changes, "is_staff"])
        role_groups_sync(user)
        details: dict[str, Any] = {"fields": sorted(changes)}
        for field in sorted(changes):
            details[f"{field}_before"] = before[field]
            details[f"{field}_after"] = changes[field]
        record(
            action="accounts.privileges_changed",
            actor=changed_by,
            target=user,
            request=request,
            details=details,
        )
        reason = (
            EndReason.DEACTIVATED if changes.get("is_active") is False else EndReason.ROLE_CHANGED
        )
        sessions_end_others(user=user, keep=None, reason=reason, request=request)
    return user
