"""Domain events of the appointments app, published through the outbox (core.events)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:
    from accounts.models import User
    from appointments.models import Appointment


@dataclass(frozen=True)
class AppointmentEvent:
    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    practitioner_id: uuid.UUID
    start: datetime.datetime
    end: datetime.datetime
    actor_id: uuid.UUID | None


@dataclass(frozen=True)
class AppointmentBooked(AppointmentEvent):
    pass


@dataclass(frozen=True)
class AppointmentRescheduled(AppointmentEvent):
    previous_start: datetime.datetime
    previous_end: datetime.datetime


@dataclass(frozen=True)
class AppointmentCancelled(AppointmentEvent):
    by_staff: bool


@dataclass(frozen=True)
class AppointmentStatusChanged(AppointmentEvent):
    status: str


@dataclass(frozen=True)
class WaitlistSlotOffered(AppointmentEvent):
    hold_expires_at: datetime.datetime


@dataclass(frozen=True)
class WaitlistHoldReleased(AppointmentEvent):
    """A time held for a waitlist patient went back (declined or expired): the next one may
    be offered it."""


class AppointmentFacts(TypedDict):
    """The fields every appointment event shares (AppointmentEvent's), checked by mypy where
    an event is built with ``**appointment_facts(...)``."""

    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    practitioner_id: uuid.UUID
    start: datetime.datetime
    end: datetime.datetime
    actor_id: uuid.UUID | None


def appointment_facts(appointment: Appointment, *, actor: User | None) -> AppointmentFacts:
    """What an event says about the appointment: public ids and times, nothing medical."""
    return AppointmentFacts(
        appointment_id=appointment.public_id,
        patient_id=appointment.patient.public_id,
        practitioner_id=appointment.practitioner.public_id,
        start=appointment.start,
        end=appointment.end,
        actor_id=actor.public_id if actor is not None else None,
    )
