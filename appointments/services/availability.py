"""Administration of schedules: practitioners, appointment types, working hours, exceptions."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Department, User
from accounts.roles import CLINICAL_ROLES
from appointments import permissions
from appointments.errors import NotAllowed
from appointments.models import AppointmentType, AvailabilityException, Practitioner, WorkingHours
from audit.services import record

MINUTES_A_WEEK = 7 * 24 * 60

# The practitioner's rule, as the admin's person picker also words it (appointments/admin.py).
NOT_A_CLINICIAN = gettext_lazy("Practitioners are doctors or nurses.")


def _require_manager(actor: User | None) -> None:
    # None: operators' commands and demo data, which run outside any request.
    if actor is not None and not permissions.can_manage_schedules(user=actor):
        raise NotAllowed(_("Only administrators manage schedules."))


@transaction.atomic
def practitioner_create(
    *,
    user: User,
    department: Department,
    time_zone: str = "Europe/London",
    actor: User | None = None,
    appointment_types: list[AppointmentType] | None = None,
    request: HttpRequest | None = None,
) -> Practitioner:
    _require_manager(actor)
    if user.role not in CLINICAL_ROLES:
        raise ValidationError({"user": NOT_A_CLINICIAN})
    practitioner = Practitioner(user=user, department=department, time_zone=time_zone)
    practitioner.full_clean()
    practitioner.save()
    if appointment_types:
        practitioner.appointment_types.set(appointment_types)
    record(
        action="appointments.practitioner_created",
        actor=actor,
        target=practitioner,
        request=request,
    )
    return practitioner


@transaction.atomic
def appointment_type_create(
    *,
    actor: User | None,
    department: Department,
    name: str,
    duration_minutes: int,
    buffer_after_minutes: int = 0,
    patient_bookable: bool = True,
    lead_time_minutes: int = 60,
    booking_horizon_days: int = 60,
    preparation: str = "",
    request: HttpRequest | None = None,
) -> AppointmentType:
    _require_manager(actor)
    appointment_type = AppointmentType(
        department=department,
        name=name,
        duration_minutes=duration_minutes,
        buffer_after_minutes=buffer_after_minutes,
        patient_bookable=patient_bookable,
        lead_time_minutes=lead_time_minutes,
        booking_horizon_days=booking_horizon_days,
        preparation=preparation,
    )
    appointment_type.full_clean()
    appointment_type.save()
    record(
        action="appointments.type_created", actor=actor, target=appointment_type, request=request
    )
    return appointment_type


# What the admin may change of a type or a practitioner after creating it.
APPOINTMENT_TYPE_FIELDS = (
    "department",
    "name",
    "duration_minutes",
    "buffer_after_minutes",
    "patient_bookable",
    "lead_time_minutes",
    "booking_horizon_days",
    "reminder_hours_before",
    "preparation",
    "is_active",
)
PRACTITIONER_FIELDS = ("department", "time_zone", "is_active")


def _changed(instance: Any, fields: tuple[str, ...], changes: dict[str, Any]) -> list[str]:
    unknown = set(changes) - set(fields)
    if unknown:
        raise ValidationError(
            dict.fromkeys(sorted(unknown), _("This field cannot be changed here."))
        )
    changed = sorted(name for name, value in changes.items() if getattr(instance, name) != value)
    for name in changed:
        setattr(instance, name, changes[name])
    return changed


@transaction.atomic
def appointment_type_update(
    *,
    actor: User | None,
    appointment_type: AppointmentType,
    request: HttpRequest | None = None,
    **changes: Any,
) -> AppointmentType:
    """Change a type (durations, rules, what to bring, retire it); validated, audited by
    field name. Bookings already made keep their times."""
    _require_manager(actor)
    changed = _changed(appointment_type, APPOINTMENT_TYPE_FIELDS, changes)
    appointment_type.full_clean()
    if changed:
        appointment_type.save(update_fields=changed)
        record(
            action="appointments.type_changed",
            actor=actor,
            target=appointment_type,
            request=request,
            details={"fields": changed},
        )
    return appointment_type


@transaction.atomic
def practitioner_update(
    *,
    actor: User | None,
    practitioner: Practitioner,
    request: HttpRequest | None = None,
    **changes: Any,
) -> Practitioner:
    """Move a practitioner to another department or zone, or make them inactive; validated,
    audited by field name."""
    _require_manager(actor)
    changed = _changed(practitioner, PRACTITIONER_FIELDS, changes)
    practitioner.full_clean()
    if changed:
        practitioner.save(update_fields=changed)
        record(
            action="appointments.practitioner_changed",
            actor=actor,
            target=practitioner,
            request=request,
            details={"fields": changed},
        )
    return practitioner


@transaction.atomic
def working_hours_add(
    *,
    actor: User | None,
    practitioner: Practitioner,
    weekday: int,
    start_time: datetime.time,
    end_time: datetime.time,
    valid_from: datetime.date,
    valid_until: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> WorkingHours:
    """Add a weekly block; blocks of one practitioner on one weekday may not overlap."""
    _require_manager(actor)
    rule = WorkingHours(
        practitioner=practitioner,
        weekday=weekday,
        start_time=start_time,
        end_time=end_time,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    rule.full_clean()
    # Two managers adding hours at once: one waits for the other's rules before comparing.
    list(Practitioner.objects.select_for_update().filter(pk=practitioner.pk).values_list("pk"))
    # Few rules per practitioner: compared on the week's clock in Python, because a night
    # shift (an end before the start) reaches into the next weekday.
    in_force = WorkingHours.objects.filter(practitioner=practitioner).exclude(
        valid_until__lt=valid_from
    )
    if valid_until is not None:
        in_force = in_force.exclude(valid_from__gt=valid_until)
    start, end = rule.minutes_of_the_week()
    for other in in_force.only("weekday", "start_time", "end_time"):
        other_start, other_end = other.minutes_of_the_week()
        if any(
            start < other_end + shift and other_start + shift < end
            for shift in (-MINUTES_A_WEEK, 0, MINUTES_A_WEEK)
        ):
            raise ValidationError(
                {
                    # Translators: other is working hours, e.g. "Monday 09:00-12:30".
                    "start_time": _("These hours overlap hours already set (%(other)s).")
                    % {"other": other}
                }
            )
    rule.save()
    record(
        action="appointments.working_hours_added",
        actor=actor,
        target=practitioner,
        request=request,
        details={"weekday": weekday},
    )
    return rule


@transaction.atomic
def working_hours_remove(
    *, actor: User | None, rule: WorkingHours, request: HttpRequest | None = None
) -> None:
    _require_manager(actor)
    practitioner = rule.practitioner
    rule.delete()
    record(
        action="appointments.working_hours_removed",
        actor=actor,
        target=practitioner,
        request=request,
    )


@transaction.atomic
def exception_add(
    *,
    actor: User | None,
    practitioner: Practitioner,
    start: datetime.datetime,
    end: datetime.datetime,
    kind: str = AvailabilityException.Kind.BLOCKED,
    reason: str = "",
    request: HttpRequest | None = None,
) -> AvailabilityException:
    """Take time out of the schedule. Existing appointments in it stay: reception moves them."""
    _require_manager(actor)
    exception = AvailabilityException(
        practitioner=practitioner, start=start, end=end, kind=kind, reason=reason
    )
    exception.full_clean()
    exception.save()
    record(
        action="appointments.exception_added",
        actor=actor,
        target=practitioner,
        request=request,
        details={"kind": kind},
    )
    return exception


@transaction.atomic
def exception_remove(
    *, actor: User | None, exception: AvailabilityException, request: HttpRequest | None = None
) -> None:
    _require_manager(actor)
    practitioner = exception.practitioner
    exception.delete()
    record(
        action="appointments.exception_removed", actor=actor, target=practitioner, request=request
    )
