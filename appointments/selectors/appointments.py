"""Appointments: who may see which, the lists of the pages and the API, schedules, feeds."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import NamedTuple

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import CLINICAL_ROLES
from appointments.models import Appointment, Practitioner
from appointments.permissions import FRONT_DESK

Status = Appointment.Status
# How far back a calendar feed reaches: calendar apps keep what they have already seen.
FEED_HISTORY = datetime.timedelta(days=90)


def appointments_visible_to(*, user: User) -> QuerySet[Appointment]:
    """Deny by default: each role sees only what its work needs."""
    base = Appointment.objects.select_related(
        "patient",
        "practitioner__user__staff_profile",
        "practitioner__department",
        "appointment_type",
    )
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if user.is_patient:
        return base.filter(patient=user)
    if user.role in FRONT_DESK or user.is_superuser:
        return base.all()
    if user.role in CLINICAL_ROLES:
        # Their own schedule, and the appointments of patients they see.
        own = Q(practitioner__user=user)
        their_patients = Q(
            patient__in=Appointment.objects.filter(practitioner__user=user).values("patient")
        )
        return base.filter(own | their_patients)
    return base.none()


def appointment_get(*, user: User, public_id: uuid.UUID | str) -> Appointment | None:
    """One appointment if the user may see it; None otherwise (a 404, never a 403)."""
    try:
        return appointments_visible_to(user=user).filter(public_id=public_id).first()
    except (ValueError, TypeError):
        return None


def appointment_list(
    *, user: User, now: datetime.datetime, when: str = "", status: str = ""
) -> QuerySet[Appointment]:
    """The API's list: visible appointments, upcoming or past (by their end), of one status."""
    appointments = appointments_visible_to(user=user)
    if when == "upcoming":
        appointments = appointments.filter(end__gte=now)
    elif when == "past":
        appointments = appointments.filter(end__lt=now)
    if status:
        appointments = appointments.filter(status=status)
    return appointments


class PatientAppointments(NamedTuple):
    """A patient's appointments page."""

    upcoming: QuerySet[Appointment]
    past: QuerySet[Appointment]
    cancelled: QuerySet[Appointment]
    offers: QuerySet[Appointment]


def patient_appointments(*, user: User, now: datetime.datetime) -> PatientAppointments:
    """Upcoming, the last 50 past ones, upcoming cancelled ones, and times held for the patient
    from the waitlist."""
    visible = appointments_visible_to(user=user)
    settled = visible.exclude(status=Status.HELD)
    return PatientAppointments(
        upcoming=settled.filter(end__gte=now).exclude(status=Status.CANCELLED),
        past=settled.filter(end__lt=now).order_by("-start")[:50],
        cancelled=settled.filter(end__gte=now, status=Status.CANCELLED),
        offers=visible.filter(status=Status.HELD),
    )


def schedule_for(
    *,
    practitioners: QuerySet[Practitioner] | Sequence[Practitioner],
    start: datetime.datetime,
    end: datetime.datetime,
) -> QuerySet[Appointment]:
    """Appointments (not cancelled) of these practitioners between two instants, for schedules."""
    return (
        Appointment.objects.filter(practitioner__in=practitioners, start__lt=end, end__gt=start)
        .exclude(status=Status.CANCELLED)
        .select_related(
            "patient__patient_profile", "appointment_type", "practitioner__user__staff_profile"
        )
        .order_by("start")
    )


def appointments_in_feed_of(*, user: User, now: datetime.datetime) -> QuerySet[Appointment]:
    """A user's calendar feed: a patient's appointments; staff, their own schedule only."""
    appointments = appointments_visible_to(user=user).filter(end__gte=now - FEED_HISTORY)
    if user.is_staff_member:
        appointments = appointments.filter(practitioner__user=user)
    return appointments


def appointment_for_update(*, appointment: Appointment) -> Appointment:
    """The appointment again, its row locked until the service's transaction ends."""
    return (
        Appointment.objects.select_for_update()
        .select_related("practitioner", "patient", "appointment_type")
        .get(pk=appointment.pk)
    )
