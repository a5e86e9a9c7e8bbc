"""Patient and staff profiles."""

from __future__ import annotations

from accounts.models import PatientProfile, StaffProfile, User


def patient_profile_of(*, user: User) -> PatientProfile | None:
    return PatientProfile.objects.filter(user=user).first()


def staff_profile_of(*, user: User) -> StaffProfile | None:
    return StaffProfile.objects.select_related("department").filter(user=user).first()


def patient_profile_by_record_number(*, number: str) -> PatientProfile | None:
    """The active patient with this medical record number (any letter case), or None."""
    return (
        PatientProfile.objects.select_related("user")
        .filter(medical_record_number=number.strip().upper(), user__is_active=True)
        .first()
    )
