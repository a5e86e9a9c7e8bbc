"""Domain-event handlers of the appointments app (registered in AppConfig.ready).

They run from the outbox (``core.events``): in a worker, inside the transaction that marks
their outbox row handled, so a redelivered message finds the row handled and does nothing.

Below them, the slot cache's invalidation: model signals, as an infrastructure hook (no
business rule), so that no path that changes a practitioner's free time can forget it
(services, the admin, operators' commands, demo data).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models.signals import post_delete, post_save

from appointments.events import AppointmentCancelled, WaitlistHoldReleased
from appointments.models import Appointment, AvailabilityException, Practitioner, WorkingHours
from appointments.selectors import slot_cache
from appointments.services import waitlist
from core.events import subscribe


@subscribe(AppointmentCancelled)
def offer_cancelled_time_to_the_waitlist(event: AppointmentCancelled) -> None:
    _offer_the_time_of(event.appointment_id)


@subscribe(WaitlistHoldReleased)
def offer_released_hold_to_the_next_patient(event: WaitlistHoldReleased) -> None:
    _offer_the_time_of(event.appointment_id)


def _offer_the_time_of(appointment_id: uuid.UUID) -> None:
    appointment = (
        Appointment.objects.filter(public_id=appointment_id)
        .values("practitioner_id", "appointment_type_id", "start")
        .first()
    )
    if appointment is not None:
        # Idempotent on its own too: a time already held or booked is not free, so it is
        # not offered again.
        waitlist.waitlist_offer_time(
            practitioner_id=appointment["practitioner_id"],
            appointment_type_id=appointment["appointment_type_id"],
            start=appointment["start"],
        )


# The columns of an appointment that decide whose time it takes, and when.
_TIME_TAKEN_FIELDS = frozenset(
    {"practitioner", "practitioner_id", "start", "end", "blocked_until", "status"}
)


def _appointment_changed(sender: type[Appointment], instance: Appointment, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not _TIME_TAKEN_FIELDS.intersection(update_fields):
        return  # e.g. a note or a calendar revision only
    # A move to another practitioner frees the first one's time too: the reschedule service
    # names them (this instance knows only where the appointment is now).
    slot_cache.availability_changed(practitioner_ids=[instance.practitioner_id])


def _schedule_changed(
    sender: type[WorkingHours | AvailabilityException],
    instance: WorkingHours | AvailabilityException,
    **kwargs: Any,
) -> None:
    slot_cache.availability_changed(practitioner_ids=[instance.practitioner_id])


def _practitioner_changed(
    sender: type[Practitioner], instance: Practitioner, **kwargs: Any
) -> None:
    # Their time zone is part of the cache key and is_active is read per search: a bump is
    # only for safety (an edit by hand of what the key does not see).
    slot_cache.availability_changed(practitioner_ids=[instance.pk])


for _signal in (post_save, post_delete):
    _signal.connect(_appointment_changed, sender=Appointment, dispatch_uid="slots-appointment")
    _signal.connect(_schedule_changed, sender=WorkingHours, dispatch_uid="slots-working-hours")
    _signal.connect(_schedule_changed, sender=AvailabilityException, dispatch_uid="slots-exception")
    _signal.connect(_practitioner_changed, sender=Practitioner, dispatch_uid="slots-practitioner")
