"""Booking, rescheduling and cancelling (the visit's status changes: services/status.py).

The database refuses overlapping appointments (migration 0002); these services check
first for clear errors and turn a lost race (IntegrityError) into SLOT_TAKEN (409).
"""

from __future__ import annotations

import datetime
from typing import NoReturn

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
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
    appointment_facts,
)
from appointments.lifecycle import appointment_revised, status_move
from appointments.models import Appointment, AppointmentType, Practitioner
from appointments.selectors import slot_cache
from appointments.selectors.appointments import appointment_for_update
from appointments.selectors.slots import SlotCheck, slot_check
from audit.services import record
from core.db.inserts import insert_new
from core.events import publish

Status = Appointment.Status


def _require_aware(start: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(start):
        raise SlotUnavailable(
            _("Give the time with its time zone, e.g. 2026-03-02T09:00:00+00:00.")
        )
    return start.astimezone(datetime.UTC)


def _raise_conflict(error: IntegrityError) -> NoReturn:
    text = str(error)
    if "patient_no_overlap" in text:
        raise PatientHasOverlap() from None
    if "practitioner_no_overlap" in text:
        raise SlotTaken() from None
    raise error


def _why_not_free(check: SlotCheck) -> NoReturn:
    """The time is not free. Someone holding exactly this slot means the caller lost a race
    for it (409); any other reason is a bad request (400): overlapping another appointment,
    the patient busy then, or outside availability."""
    if check.taken:
        raise SlotTaken()
    if check.overlapped:
        raise SlotUnavailable(
            _("That time overlaps another appointment. Choose one of the free times.")
        )
    if check.patient_busy:
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
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    blocked_until = end + datetime.timedelta(minutes=appointment_type.buffer_after_minutes)
    # The offer, the slot and the patient's other appointments: one round trip.
    check = slot_check(
        appointment_type=appointment_type,
        practitioner=practitioner,
        start=start,
        now=now,
        patient_id=patient.pk,
        ignore_appointment_id=ignore_id,
        respect_lead_time=permissions.lead_time_applies(user=actor),
    )
    if not check.offered:
        raise SlotUnavailable(
            # Translators: e.g. "Dr Weber does not offer Child health check."
            _("%(practitioner)s does not offer %(type)s.")
            % {"practitioner": practitioner.display_name, "type": appointment_type.name}
        )
    if start <= now:
        raise SlotUnavailable(_("That time is in the past."))
    if not check.free:
        _why_not_free(check)
    # Checked before the insert for a clear answer; the database constraint has the last word.
    if check.patient_busy:
        raise PatientBusy()
    return end, blocked_until


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
    """Book a free slot for a patient. Never double-books: the database has the last word.

    ``channel`` is the surface the request came through (web or api); a booking by staff is
    the reception's whatever the surface (``permissions.booking_channel``).
    """
    now = now or timezone.now()
    start = _require_aware(start)
    if not permissions.may_book_for(user=actor, patient=patient):
        raise NotAllowed(_("Patients book for themselves."))
    if not permissions.can_book(user=actor, patient=patient, appointment_type=appointment_type):
        if actor.pk == patient.pk and not permissions.type_bookable_by(
            user=actor, appointment_type=appointment_type
        ):
            raise NotAllowed(_("This appointment type is booked through the reception."))
        raise NotAllowed()
    end, blocked_until = _check_bookable(
        actor=actor,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        now=now,
    )
    booked_through = permissions.booking_channel(user=actor, via=channel)
    # The checks above only read, so they run before the transaction: a refused booking (half
    # the answers on a busy day) costs no BEGIN and ROLLBACK. They decide nothing the
    # transaction would make safer: the database's constraints have the last word on the
    # insert, whatever the checks saw.
    try:
        with transaction.atomic():
            appointment = insert_new(
                Appointment(
                    patient=patient,
                    practitioner=practitioner,
                    appointment_type=appointment_type,
                    start=start,
                    end=end,
                    blocked_until=blocked_until,
                    status=Status.BOOKED,
                    reason=reason,
                    booked_by=actor,
                    channel=booked_through,
                )
            )
            record(
                action="appointments.booked",
                actor=actor,
                target=appointment,
                patient=patient,
                request=request,
                details={"channel": booked_through},
            )
            publish(AppointmentBooked(**appointment_facts(appointment, actor=actor)))
    except IntegrityError as error:
        _raise_conflict(error)
    return appointment


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    new_start: datetime.datetime,
    new_practitioner: Practitioner | None = None,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
    locked: bool = False,
) -> Appointment:
    """Move a booking. Atomic: the old time is given up only if the new one is taken.

    ``locked``: the caller read the appointment with ``appointment_for_update`` in the
    transaction this runs in (the API compares If-Match on the locked row), so it is not
    read again.

    A move to the time and practitioner it already has changes nothing: the appointment is
    returned as it is, with no audit row, no event and no new revision (a repeated request
    must not notify the patient again)."""
    now = now or timezone.now()
    new_start = _require_aware(new_start)
    if not locked:
        appointment = appointment_for_update(appointment=appointment)
    if not permissions.can_change_booking(user=actor, appointment=appointment):
        raise NotAllowed()
    if appointment.status != Status.BOOKED:
        raise InvalidTransition(_("Only a booked appointment can be moved."))
    practitioner = new_practitioner or appointment.practitioner
    if new_start == appointment.start and practitioner.pk == appointment.practitioner_id:
        return appointment
    _check_change_deadline(actor=actor, appointment=appointment, now=now, verb="moved")
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
    # The time it leaves (the new one's is invalidated by the save: appointments.subscribers).
    slot_cache.availability_changed(practitioner_ids=[appointment.practitioner_id])
    appointment.practitioner, appointment.start, appointment.end, appointment.blocked_until = (
        practitioner,
        new_start,
        end,
        blocked_until,
    )
    appointment_revised(appointment=appointment)
    # No savepoint of its own (as in appointment_book): a refused update ends in an exception.
    try:
        appointment.save(
            update_fields=[
                "practitioner",
                "start",
                "end",
                "blocked_until",
                "revision",
                "updated_at",
            ]
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
            **appointment_facts(appointment, actor=actor),
            previous_start=previous_start,
            previous_end=previous_end,
        )
    )
    return appointment


def _check_change_deadline(
    *, actor: User, appointment: Appointment, now: datetime.datetime, verb: str
) -> None:
    if permissions.too_late_to_change(user=actor, appointment=appointment, now=now):
        hours = settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS
        if verb == "moved":
            message = ngettext(
                "Appointments can be moved online up to %(hours)d hour before they start. "
                "Please call the reception.",
                "Appointments can be moved online up to %(hours)d hours before they start. "
                "Please call the reception.",
                hours,
            )
        else:
            message = ngettext(
                "Appointments can be cancelled online up to %(hours)d hour before they start. "
                "Please call the reception.",
                "Appointments can be cancelled online up to %(hours)d hours before they start. "
                "Please call the reception.",
                hours,
            )
        raise CancelTooLate(message % {"hours": hours})


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
    appointment = appointment_for_update(appointment=appointment)
    if not permissions.can_change_booking(user=actor, appointment=appointment):
        raise NotAllowed()
    if permissions.cancel_needs_reason(user=actor) and not reason.strip():
        raise ValidationError({"reason": _("Staff must give a reason when cancelling.")})
    _check_change_deadline(actor=actor, appointment=appointment, now=now, verb="cancelled")
    status_move(appointment=appointment, to_status=Status.CANCELLED, now=now)
    appointment.cancellation_reason = reason.strip()
    appointment.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "revision", "updated_at"]
    )
    by_staff = actor.is_staff_member
    record(
        action="appointments.cancelled",
        actor=actor,
        target=appointment,
        patient=appointment.patient,
        request=request,
        details={"by_staff": by_staff},
    )
    publish(AppointmentCancelled(**appointment_facts(appointment, actor=actor), by_staff=by_staff))
    return appointment
