"""The waitlist: a patient's entries."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import User
from appointments.models import WaitlistEntry
from audit.access import viewed
from audit.services import AuditTarget


def waitlist_of(*, user: User) -> QuerySet[WaitlistEntry]:
    """The user's own entries (nobody sees another patient's), a read of their record."""
    if not user.is_staff_member:
        viewed(patients=[user.pk], target=AuditTarget("appointments.waitlist"), actor=user)
    return WaitlistEntry.objects.filter(patient=user).select_related(
        "appointment_type",
        "practitioner__user__staff_profile",
        "practitioner__department",
        "offered_appointment",
    )
