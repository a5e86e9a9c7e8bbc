"""Writes on the hospital's directory: departments."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from accounts.models import Department, User
from audit.services import record


@transaction.atomic
def department_create(
    *,
    code: str,
    name: str,
    description: str = "",
    created_by: User | None = None,
    request: HttpRequest | None = None,
) -> Department:
    """Open a department of the hospital; audited."""
    department = Department(code=code, name=name, description=description)
    department.full_clean()
    department.save()
    record(
        action="accounts.department_created", actor=created_by, target=department, request=request
    )
    return department
