"""Writes on the hospital's directory: departments."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.selectors.directory import public_locations_forget
from audit.services import record


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    description: str = "",
    location: str = "",
    directions: str = "",
    created_by: User | None = None,
    request: HttpRequest | None = None,
) -> Department:
    """Open a department of the hospital; audited."""
    department = Department(
        code=code, name=name, description=description, location=location, directions=directions
    )
    department.full_clean()
    department.save()
    transaction.on_commit(public_locations_forget)
    record(
        action="accounts.department_created", actor=created_by, target=department, request=request
    )
    return department


DEPARTMENT_FIELDS = ("code", "name", "description", "location", "directions", "is_active")


@transaction.atomic
def department_update(
    *,
    department: Department,
    changed_by: User | None,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Department:
    """Rename, describe, close or reopen a department; audited by field name."""
    unknown = set(changes) - set(DEPARTMENT_FIELDS)
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), _("This field cannot be changed here."))
        )
    changed = sorted(name for name, value in changes.items() if getattr(department, name) != value)
    for name, value in changes.items():
        setattr(department, name, value)
    department.full_clean()
    if changed:
        department.save()
        transaction.on_commit(public_locations_forget)
        record(
            action="accounts.department_updated",
            actor=changed_by,
            target=department,
            request=request,
            details={"fields": changed},
        )
    return department
