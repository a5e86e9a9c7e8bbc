"""Live schedules: when a booking changes, the clinician's schedule page and the reception's
list reload their rows without the person reloading the page (registered in AppConfig.ready).

The handlers run from the transactional outbox (core.events) and send, after their commit,
``{"type": "schedule.changed", "practitioner": "<public id>", "day": "YYYY-MM-DD"}`` to the
channel-layer groups of the practitioner's schedule and of the reception. The message names
no patient and no time: whoever gets it reloads the page, and the page decides what they see.
A message sent twice (a redelivered event) costs one more reload.

Who joins which group is decided where the sockets are opened (notifications.consumers), by
the predicates the pages use: ``appointments.permissions.can_view_schedules`` for schedules
(of the practitioners the schedule page lists), ``can_open_reception`` for the reception.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentEvent,
    AppointmentRescheduled,
    AppointmentStatusChanged,
    WaitlistHoldReleased,
    WaitlistSlotOffered,
)
from appointments.selectors.schedules import practitioner_get
from core.events import subscribe
from notifications.services.push import group_send

SCHEDULE_CHANGED = "schedule.changed"
# The reception's list is the whole hospital's day (appointments.views.staff.reception lists
# every practitioner's appointments), so there is one reception group.
RECEPTION_GROUP = "appointments.reception"


def schedule_group(practitioner_id: uuid.UUID | str) -> str:
    """The channel-layer group of the pages showing one practitioner's schedule."""
    return f"appointments.schedule.{practitioner_id}"


def schedule_changed_message(
    *, practitioner_id: uuid.UUID | str, day: datetime.date
) -> dict[str, Any]:
    return {"type": SCHEDULE_CHANGED, "practitioner": str(practitioner_id), "day": day.isoformat()}


def tell_the_schedules(event: AppointmentEvent) -> None:
    """The schedule of the appointment's practitioner changed on the day it starts (and, when
    it moved, the day it left); so did the reception's list of that day."""
    practitioner = practitioner_get(public_id=event.practitioner_id)
    if practitioner is None:
        return
    starts = [event.start]
    if isinstance(event, AppointmentRescheduled):
        starts.append(event.previous_start)
    # Each page's days: the schedule's in the practitioner's zone, the reception's in the
    # hospital's (appointments.views.staff).
    schedule_days = sorted({start.astimezone(practitioner.zone).date() for start in starts})
    hospital_zone = timezone.get_default_timezone()
    reception_days = sorted({start.astimezone(hospital_zone).date() for start in starts})
    messages = [
        (
            schedule_group(event.practitioner_id),
            schedule_changed_message(practitioner_id=event.practitioner_id, day=day),
        )
        for day in schedule_days
    ] + [
        (
            RECEPTION_GROUP,
            schedule_changed_message(practitioner_id=event.practitioner_id, day=day),
        )
        for day in reception_days
    ]

    def send() -> None:
        # A channel layer that is down loses only the live reload (group_send logs it): the
        # pages show the change when next opened.
        for group, message in messages:
            group_send(group, message)

    transaction.on_commit(send, robust=True)


# One handler for every event that changes what a schedule shows: bookings, moves,
# cancellations, the visit's steps (check-in, start, completion, no-show) and waitlist holds
# (a held time is taken on the schedule until it is released).
_SCHEDULE_EVENTS: tuple[type[AppointmentEvent], ...] = (
    AppointmentBooked,
    AppointmentRescheduled,
    AppointmentCancelled,
    AppointmentStatusChanged,
    WaitlistSlotOffered,
    WaitlistHoldReleased,
)
for _event_type in _SCHEDULE_EVENTS:
    subscribe(_event_type)(tell_the_schedules)
