"""Domain-event handlers of the appointments app (registered in AppConfig.ready)."""

from __future__ import annotations

from appointments.events import AppointmentCancelled
from appointments.models import Appointment
from core.events import subscribe


@subscribe(AppointmentCancelled)
def offer_cancelled_time_to_the_waitlist(event: AppointmentCancelled) -> None:
    from appointments.tasks import offer_freed_time

    appointment = (
        Appointment.objects.filter(public_id=event.appointment_id)
        .values("practitioner_id", "appointment_type_id", "start")
        .first()
    )
    if appointment is not None:
        offer_freed_time.delay(
            appointment["practitioner_id"],
            appointment["appointment_type_id"],
            appointment["start"].isoformat(),
        )
