"""The appointment's status lifecycle: which status may follow which, and when it happened."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from appointments.errors import InvalidTransition
from appointments.models import Appointment

Status = Appointment.Status

# Allowed moves of an appointment's status; anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.HELD: frozenset({Status.BOOKED, Status.CANCELLED}),
    Status.BOOKED: frozenset({Status.CHECKED_IN, Status.CANCELLED, Status.NO_SHOW}),
    # Back to booked: a check-in recorded by mistake (the wrong patient's row), undone by the
    # front desk before the visit starts.
    Status.CHECKED_IN: frozenset({Status.IN_PROGRESS, Status.CANCELLED, Status.BOOKED}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}
# The visit's steps, in order: what staff record as the patient arrives and is seen.
VISIT_STEPS: tuple[str, ...] = (Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED)
# Statuses set by hand (pages and API); the others follow from booking and cancelling. Booked
# is set by hand only as the undoing of a check-in.
SET_BY_HAND: tuple[str, ...] = (*VISIT_STEPS, Status.NO_SHOW, Status.BOOKED)

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
            # Translators: two statuses of an appointment, in lower case, e.g. "A cancelled
            # appointment cannot become checked in."
            _("A %(current)s appointment cannot become %(new)s.")
            % {
                "current": appointment.get_status_display().lower(),
                "new": str(Status(to_status).label).lower(),
            }
        )
    undone = appointment.status == Status.CHECKED_IN and to_status == Status.BOOKED
    appointment.status = to_status
    appointment_revised(appointment=appointment)
    if undone:
        appointment.checked_in_at = None
    timestamp = _TIMESTAMP_OF.get(to_status)
    if timestamp:
        setattr(appointment, timestamp, now)


def undoes_check_in(*, appointment: Appointment, to_status: str) -> bool:
    """Is this move the undoing of a check-in (checked in, back to booked)?"""
    return appointment.status == Status.CHECKED_IN and to_status == Status.BOOKED


def appointment_revised(*, appointment: Appointment) -> None:
    """One more change of the appointment's time or status, counted for calendars (SEQUENCE).
    Called on the row the service has locked; the caller saves ``revision``."""
    appointment.revision += 1
