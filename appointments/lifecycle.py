"""The appointment's status lifecycle: which status may follow which, and when it happened."""

from __future__ import annotations

import datetime

from appointments.errors import InvalidTransition
from appointments.models import Appointment

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
# The visit's steps, in order: what staff record as the patient arrives and is seen.
VISIT_STEPS: tuple[str, ...] = (Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED)
# Statuses set by hand (pages and API); the others follow from booking and cancelling.
SET_BY_HAND: tuple[str, ...] = (*VISIT_STEPS, Status.NO_SHOW)

_TIMESTAMP_OF: dict[str, str] = {
    Status.CHECKED_IN: "checked_in_at",
    Status.IN_PROGRESS: "started_at",
    Status.COMPLETED: "completed_at",
    Status.CANCELLED: "cancelled_at",
}


def status_move(*, appointment: Appointment, to_status: str, now: datetime.datetime) -> None:
    """Set the new status (and its time) on the instance, or refuse a move TRANSITIONS lacks.
    The caller saves."""
    if to_status not in TRANSITIONS[appointment.status]:
        raise InvalidTransition(
            f"A {appointment.get_status_display().lower()} appointment cannot become "
            f"{Status(to_status).label.lower()}."
        )
    appointment.status = to_status
    appointment_revised(appointment=appointment)
    timestamp = _TIMESTAMP_OF.get(to_status)
    if timestamp:
        setattr(appointment, timestamp, now)


def appointment_revised(*, appointment: Appointment) -> None:
    """One more change of the appointment's time or status, counted for calendars (SEQUENCE).
    Called on the row the service has locked; the caller saves ``revision``."""
    appointment.revision += 1
