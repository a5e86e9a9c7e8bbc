"""Booking, rescheduling, cancelling and the visit's status changes.

The database refuses overlapping appointments (migration 0002); these services check
first for clear errors and turn a lost race (IntegrityError) into SLOT_TAKEN (409).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from appointments import permissions
from appointments.errors import (
    CancelTooLate,
    InvalidTransition,
    NotAllowed,
    PatientBusy,
    PatientHasOverlap,
    SlotTaken,
    SlotUnavailable,
)
from appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentRescheduled,
    AppointmentStatusChanged,
)
from appointments.models import Appointment, AppointmentType, Practitioner
from appointments.selectors.slots import slot_is_free
from audit.services import record
from core.events import publish

Status = Appointment.Status

# Allowed moves of an appointment's status; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.HELD: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}),
    Status.CHECKED_IN: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}
_TIMESTAMP_OF: dict[str, str] = {
    Status.CHECKED_IN: "checked_in_at",
    Status.IN_PROGRESS: "started_at",
    Status.COMPLETED: "completed_at",
    Status.CANCELLED: "cancelled_at",
}


def _event_fields(appointment: Appointment, actor: User | None) -> dict[str, object]:
    return {
        "appointment_id": appointment.public_id,
        "patient_id": appointment.patient.public_id,
        "practitioner_id": appointment.practitioner.public_id,
        "start": appointment.start,
        "end": appointment.end,
        "actor_id": actor.public_id if actor is not None else None,
    }


def _require_aware(start: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(start):
        raise SlotUnavailable("Give the time with its time zone, e.g. 2026-03-02T09:00:00+00:00.")
    return start.astimezone(datetime.UTC)


def _raise_conflict(error: IntegrityError) -> None:
    text = str(error)
    if "patient_no_overlap" in text:
        raise PatientHasOverlap() from None
    if "practitioner_no_overlap" in text:
        raise SlotTaken() from None
    raise error


def _why_not_free(
    *,
    practitioner: Practitioner,
    patient: User,
    start: datetime.datetime,
    end: datetime.datetime,
    blocked_until: datetime.datetime,
    ignore_id: int | None,
) -> None:
    """The time is not free. Someone holding exactly this slot means the caller lost a race
    for it (409); any other reason is a bad request (400): outside availability, overlapping
    another appointment, or the patient is busy then."""
    active = Appointment.objects.filter(status__in=Appointment.ACTIVE_STATUSES)
    if ignore_id is not None:
        active = active.exclude(pk=ignore_id)
    clashes = active.filter(
        practitioner=practitioner, start__lt=blocked_until, blocked_until__gt=start
    )
    if clashes.filter(start=start).exists():
        raise SlotTaken()
    if clashes.exists():
        raise SlotUnavailable(
            "That time overlaps another appointment. Choose one of the free times."
        )
    if active.filter(patient=patient, start__lt=end, end__gt=start).exists():
        raise PatientBusy()
    raise SlotUnavailable()


def _check_bookable(
    *,
    actor: User,
    patient: User,
    practitioner: Practitioner,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    now: datetime.datetime,
    ignore_id: int | None = None,
) -> tuple[datetime.datetime, datetime.datetime]:
    if not practitioner.appointment_types.filter(pk=appointment_type.pk).exists():
        raise SlotUnavailable(
            f"{practitioner.display_name} does not offer {appointment_type.name}."
        )
    if start <= now:
        raise SlotUnavailable("That time is in the past.")
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    blocked_until = end + datetime.timedelta(minutes=appointment_type.buffer_after_minutes)
    if not slot_is_free(
        appointment_type=appointment_type,
        practitioner=practitioner,
        start=start,
        now=now,
        ignore_appointment_id=ignore_id,
        respect_lead_time=actor.role == Role.PATIENT,
    ):
        _why_not_free(
            practitioner=practitioner,
            patient=patient,
            start=start,
            end=end,
            blocked_until=blocked_until,
            ignore_id=ignore_id,
        )
    patient_busy = Appointment.objects.filter(
        patient=patient, status__in=Appointment.ACTIVE_STATUSES, start__lt=end, end__gt=start
    )
    if ignore_id is not None:
        patient_busy = patient_busy.exclude(pk=ignore_id)
    if patient_busy.exists():
        raise PatientBusy()
    return end, blocked_until


@transaction.atomic
def appointment_book(
    *,
    actor: User,
    patient: User,
    practitioner: Practitioner,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    channel: str,
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Book a free slot for a patient. Never double-books: the database has the last word."""
    now = now or timezone.now()
    start = _require_aware(start)
    if not permissions.can_book(user=actor, patient=patient, appointment_type=appointment_type):
        if actor.role == Role.PATIENT and actor.pk == patient.pk:
            raise NotAllowed("This appointment type is booked through the reception.")
        raise NotAllowed()
    end, blocked_until = _check_bookable(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        now=now,
    )
    try:
        with transaction.atomic():
            appointment = Appointment.objects.create(
                patient=patient,
                practitioner=practitioner,
                appointment_type=appointment_type,
                start=start,
                end=end,
                blocked_until=blocked_until,
                status=Status.BOOKED,
                reason=reason,
                booked_by=actor,
                channel=channel,
            )
    except IntegrityError as error:
        _raise_conflict(error)
    record(
        action="appointments.booked",
        actor=actor,
        target=appointment,
        patient=patient,
        request=request,
        details={"channel": channel},
    )
    publish(AppointmentBooked(**_event_fields(appointment, actor)))  # type: ignore[arg-type]
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update()
        .select_related("practitioner", "patient", "appointment_type")
        .get(pk=appointment.pk)
    )


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    new_start: datetime.datetime,
    new_practitioner: Practitioner | None = None,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Move a booking. Atomic: the old time is given up only if the new one is taken."""
    now = now or timezone.now()
    new_start = _require_aware(new_start)
    appointment = _locked(appointment)
    if not permissions.can_change_booking(user=actor, appointment=appointment):
        raise NotAllowed()
    if appointment.status != Status.BOOKED:
        raise InvalidTransition("Only a booked appointment can be moved.")
    _check_cancel_cutoff(actor=actor, appointment=appointment, now=now, verb="move")
    practitioner = new_practitioner or appointment.practitioner
    end, blocked_until = _check_bookable(
        actor=actor,
        patient=appointment.patient,
        practitioner=practitioner,
        appointment_type=appointment.appointment_type,
        start=new_start,
        now=now,
        ignore_id=appointment.pk,
    )
    previous_start, previous_end = appointment.start, appointment.end
    appointment.practitioner, appointment.start, appointment.end, appointment.blocked_until = (
        practitioner,
        new_start,
        end,
        blocked_until,
    )
    try:
        with transaction.atomic():
            appointment.save(
                update_fields=["practitioner", "start", "end", "blocked_until", "updated_at"]
            )
    except IntegrityError as error:
        _raise_conflict(error)
    record(
        action="appointments.rescheduled",
        actor=actor,
        target=appointment,
        patient=appointment.patient,
        request=request,
        details={"fields": ["start", "end"] + (["practitioner"] if new_practitioner else [])},
    )
    publish(
        AppointmentRescheduled(
            **_event_fields(appointment, actor),  # type: ignore[arg-type]
            previous_start=previous_start,
            previous_end=previous_end,
        )
    )
    return appointment


def change_deadline(appointment: Appointment) -> datetime.datetime:
    """Until when a patient may move or cancel online."""
    return appointment.start - datetime.timedelta(
        hours=settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS
    )


def _check_cancel_cutoff(
    *, actor: User, appointment: Appointment, now: datetime.datetime, verb: str
) -> None:
    if actor.role != Role.PATIENT:
        return  # staff may change a booking at any time
    cutoff = appointment.start - datetime.timedelta(
        hours=settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS
    )
    if now > cutoff:
        raise CancelTooLate(
            f"Appointments can be {'moved' if verb == 'move' else 'cancelled'} online up to "
            f"{settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS} hours before they start. Please call the reception."
        )


@transaction.atomic
def appointment_cancel(
    *,
    actor: User,
    appointment: Appointment,
    reason: str = "",
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Cancel: patients up to the cut-off before the start, staff any time with a reason."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    if not permissions.can_change_booking(user=actor, appointment=appointment):
        raise NotAllowed()
    is_staff = actor.role != Role.PATIENT
    if is_staff and not reason.strip():
        from django.core.exceptions import ValidationError

        raise ValidationError({"reason": "Staff must give a reason when cancelling."})
    _check_cancel_cutoff(actor=actor, appointment=appointment, now=now, verb="cancel")
    _transition(appointment, Status.CANCELLED, now)
    appointment.cancellation_reason = reason.strip()
    appointment.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    record(
        action="appointments.cancelled",
        actor=actor,
        target=appointment,
        patient=appointment.patient,
        request=request,
        details={"by_staff": is_staff},
    )
    publish(AppointmentCancelled(**_event_fields(appointment, actor), by_staff=is_staff))  # type: ignore[arg-type]
    return appointment


def _transition(appointment: Appointment, to_status: str, now: datetime.datetime) -> None:
    if to_status not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot become "
            f"{Status(to_status).label.lower()}."
        )
    appointment.status = to_status
    timestamp = _TIMESTAMP_OF.get(to_status)
    if timestamp:
        setattr(appointment, timestamp, now)


_CHECKS: dict[str, Callable[..., bool]] = {
    Status.CHECKED_IN: permissions.can_check_in,
    Status.IN_PROGRESS: permissions.can_treat,
    Status.COMPLETED: permissions.can_treat,
}


@transaction.atomic
def appointment_set_status(
    *,
    actor: User | None,
    appointment: Appointment,
    to_status: str,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Check in (front desk), start and complete (the practitioner), mark a no-show."""
    now = now or timezone.now()
    appointment = _locked(appointment)
    if to_status == Status.NO_SHOW:
        allowed = permissions.can_mark_no_show(user=actor, appointment=appointment)
        if allowed and appointment.start + _no_show_grace() > now:
            raise InvalidTransition(
                "A no-show can be recorded only after the grace period past the start."
            )
    elif to_status in _CHECKS:
        allowed = actor is not None and _CHECKS[to_status](user=actor, appointment=appointment)
    else:
        allowed = False
    if not allowed:
        raise NotAllowed()
    _transition(appointment, to_status, now)
    appointment.save()
    record(
        action=f"appointments.{to_status}",
        actor=actor,
        target=appointment,
        patient=appointment.patient,
        request=request,
    )
    publish(AppointmentStatusChanged(**_event_fields(appointment, actor), status=to_status))  # type: ignore[arg-type]
    return appointment


def _no_show_grace() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES)


def appointments_mark_no_shows(*, now: datetime.datetime | None = None) -> int:
    """Booked appointments never checked in, past the grace period: no-shows. Periodic task."""
    now = now or timezone.now()
    due = list(
        Appointment.objects.filter(
            status=Status.BOOKED, start__lt=now - _no_show_grace()
        ).values_list("pk", flat=True)
    )
    marked = 0
    for pk in due:
        try:
            appointment_set_status(
                actor=None, appointment=Appointment(pk=pk), to_status=Status.NO_SHOW, now=now
            )
        except InvalidTransition:
            continue  # checked in meanwhile
        marked += 1
    return marked
