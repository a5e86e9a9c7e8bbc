"""Models of the appointments app: schedules, appointments, the waitlist, calendar feeds."""

from appointments.models.appointments import Appointment
from appointments.models.feeds import CalendarFeed
from appointments.models.schedules import (
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
    validate_time_zone,
)
from appointments.models.waitlist import WaitlistEntry

__all__ = [
    "Appointment",
    "AppointmentType",
    "AvailabilityException",
    "CalendarFeed",
    "Practitioner",
    "WaitlistEntry",
    "WorkingHours",
    "validate_time_zone",  # named by migration 0001
]
