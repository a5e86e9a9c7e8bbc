"""Reads of the appointments app: who may see what, schedules, slots (slots.py)."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.roles import Role
from appointments.models import Appointment, AppointmentType, Practitioner, WaitlistEntry


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
    if user.role == Role.PATIENT:
        return base.filter(patient=user)
    if user.role in (Role.RECEPTIONIST, Role.ADMIN) or user.is_superuser:
        return base.all()
    if user.role in (Role.DOCTOR, Role.NURSE):
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


def practitioner_of(*, user: User) -> Practitioner | None:
    return Practitioner.objects.filter(user=user, is_active=True).first()


def practitioners_for(
    *, department_id: int | None = None, appointment_type: AppointmentType | None = None
) -> QuerySet[Practitioner]:
    practitioners = Practitioner.objects.filter(is_active=True).select_related(
        "user__staff_profile", "department"
    )
    if department_id is not None:
        practitioners = practitioners.filter(department_id=department_id)
    if appointment_type is not None:
        practitioners = practitioners.filter(appointment_types=appointment_type)
    return practitioners.order_by("user__full_name")


def appointment_types_for(
    *, department_id: int | None = None, patient_bookable_only: bool = False
) -> QuerySet[AppointmentType]:
    types = AppointmentType.objects.filter(is_active=True).select_related("department")
    if department_id is not None:
        types = types.filter(department_id=department_id)
    if patient_bookable_only:
        types = types.filter(patient_bookable=True)
    return types


def schedule_for(
    *,
    practitioners: QuerySet[Practitioner] | list[Practitioner],
    start: datetime.datetime,
    end: datetime.datetime,
) -> QuerySet[Appointment]:
    """Appointments (not cancelled) of these practitioners between two instants, for schedules."""
    return (
        Appointment.objects.filter(practitioner__in=practitioners, start__lt=end, end__gt=start)
        .exclude(status=Appointment.Status.CANCELLED)
        .select_related(
            "patient__patient_profile", "appointment_type", "practitioner__user__staff_profile"
        )
        .order_by("start")
    )


def waitlist_of(*, user: User) -> QuerySet[WaitlistEntry]:
    return WaitlistEntry.objects.filter(patient=user).select_related(
        "appointment_type", "practitioner__user", "offered_appointment"
    )
