"""What messages about an appointment may say: its type, clinician, department, times and
status; never the reason for the visit or any clinical note (notifications reads this)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from accounts.models import User
from appointments.models import Appointment
from appointments.models.schedules import reminder_hours


@dataclass(frozen=True)
class AppointmentMessageFacts:
    public_id: uuid.UUID
    status: str
    start: datetime.datetime
    end: datetime.datetime
    patient: User
    practitioner_user: User
    practitioner_name: str
    practitioner_zone: str
    department_name: str
    type_name: str
    # The type's reminder hours; None for the hospital's default.
    reminder_hours_before: list[int] | None
    # Said by staff when they cancel: an administrative reason, shown to the patient.
    cancellation_reason: str
    hold_expires_at: datetime.datetime | None


def appointment_message_facts(*, public_id: uuid.UUID) -> AppointmentMessageFacts | None:
    appointment = (
        Appointment.objects.select_related(
            "patient",
            "practitioner__user__staff_profile",
            "practitioner__department",
            "appointment_type",
        )
        .filter(public_id=public_id)
        .first()
    )
    if appointment is None:
        return None
    practitioner = appointment.practitioner
    return AppointmentMessageFacts(
        public_id=appointment.public_id,
        status=appointment.status,
        start=appointment.start,
        end=appointment.end,
        patient=appointment.patient,
        practitioner_user=practitioner.user,
        practitioner_name=practitioner.display_name,
        practitioner_zone=practitioner.time_zone,
        department_name=practitioner.department.name,
        type_name=appointment.appointment_type.name,
        reminder_hours_before=reminder_hours(appointment.appointment_type.reminder_hours_before),
        cancellation_reason=appointment.cancellation_reason,
        hold_expires_at=appointment.hold_expires_at,
    )


def appointment_status_and_start(*, public_id: uuid.UUID) -> tuple[str, datetime.datetime] | None:
    """The appointment's status and start now (is a reminder of it still right?)."""
    row = Appointment.objects.filter(public_id=public_id).values_list("status", "start").first()
    return (row[0], row[1]) if row is not None else None
