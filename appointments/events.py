"""Domain events of the appointments app, published after commit (core.events)."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass


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
