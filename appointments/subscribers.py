"""Domain-event handlers of the appointments app (registered in AppConfig.ready).

They run from the outbox (``core.events``): in a worker, inside the transaction that marks
their outbox row handled, so a redelivered message finds the row handled and does nothing.
"""

from __future__ import annotations

import uuid

from appointments.events import AppointmentCancelled, WaitlistHoldReleased
from appointments.models import Appointment
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
