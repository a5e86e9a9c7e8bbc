"""The hospital's directory: departments."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Department


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")


def departments_all() -> QuerySet[Department]:
    """Every department, also closed ones: lookups by public id in filters and forms."""
    return Department.objects.all()


def department_get_by_code(*, code: str) -> Department:
    """The department with this code (operators' commands and seed data name departments so)."""
    return Department.objects.get(code=code)
