"""Reads on accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Department, PatientProfile, StaffProfile, User


def user_get_by_email(*, email: str) -> User | None:
    """The account with this email, whatever its letter case, or None."""
    return User.objects.filter(email__iexact=email.strip()).first()


def patient_profile_of(*, user: User) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=user).first()


def staff_profile_of(*, user: User) -> StaffProfile | None:
    return StaffProfile.objects.select_related("department").filter(user=user).first()


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")
