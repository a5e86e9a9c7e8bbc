"""Schedules: practitioners, the appointment types they offer, working hours and leave."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import QuerySet

from accounts.models import Department, User
from appointments.models import AppointmentType, AvailabilityException, Practitioner, WorkingHours


def practitioner_of(*, user: User) -> Practitioner | None:
    """The user's own practitioner record, if they see patients."""
    return Practitioner.objects.filter(user=user, is_active=True).first()


def practitioner_get(*, public_id: uuid.UUID) -> Practitioner | None:
    """Any practitioner, also an inactive one (schedule management), or None."""
    return (
        Practitioner.objects.select_related("user__staff_profile", "department")
        .filter(public_id=public_id)
        .first()
    )


def practitioners_for(
    *, department_id: int | None = None, appointment_type: AppointmentType | None = None
) -> QuerySet[Practitioner]:
    """Active practitioners, of a department and offering a type if given, by name."""
    practitioners = Practitioner.objects.filter(is_active=True).select_related(
        "user__staff_profile", "department"
    )
    if department_id is not None:
        practitioners = practitioners.filter(department_id=department_id)
    if appointment_type is not None:
        practitioners = practitioners.filter(appointment_types=appointment_type)
    return practitioners.order_by("user__full_name")


def practitioner_offers(*, practitioner: Practitioner, appointment_type: AppointmentType) -> bool:
    return practitioner.appointment_types.filter(pk=appointment_type.pk).exists()


def practitioners_offering(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner | None = None,
    department: Department | None = None,
) -> list[Practitioner]:
    """Whose free times a search shows: the chosen practitioner, or everyone offering the type
    in a department (the type's own unless another is chosen)."""
    if practitioner is not None:
        return [practitioner]
    department = department or appointment_type.department
    return list(practitioners_for(department_id=department.pk, appointment_type=appointment_type))


def appointment_types_all() -> QuerySet[AppointmentType]:
    """Every appointment type, also retired ones (filters by public id)."""
    return AppointmentType.objects.all()


def appointment_types_active() -> QuerySet[AppointmentType]:
    """The types that can be booked or waited for (lookups by public id)."""
    return AppointmentType.objects.filter(is_active=True)


def appointment_types_bookable_by(
    *, user: User, department: Department | None = None
) -> QuerySet[AppointmentType]:
    """The active types this user may book: some are booked through the reception only
    (``permissions.type_bookable_by`` is the same rule for one type)."""
    types = appointment_types_active().select_related("department")
    if department is not None:
        types = types.filter(department=department)
    if not user.is_staff_member:
        types = types.filter(patient_bookable=True)
    return types


def working_hours_of(*, practitioner: Practitioner) -> QuerySet[WorkingHours]:
    return WorkingHours.objects.filter(practitioner=practitioner)


def exceptions_of(
    *, practitioner: Practitioner, ending_after: datetime.datetime | None = None
) -> QuerySet[AvailabilityException]:
    """Leave and blocked time of a practitioner; with ``ending_after``, only what is not over."""
    exceptions = AvailabilityException.objects.filter(practitioner=practitioner)
    if ending_after is not None:
        exceptions = exceptions.filter(end__gte=ending_after)
    return exceptions
