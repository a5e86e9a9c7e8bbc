"""Free slots: working hours, minus exceptions, minus booked time, within lead time and horizon.

Working hours are wall-clock times in the practitioner's time zone, expanded day by day
with zoneinfo: 09:00 stays 09:00 across a daylight-saving change; a wall time that does
not exist that day (spring forward) is skipped; an ambiguous one (fall back) means its
first occurrence. Slots start at the opening time and every duration + buffer after it.
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import Q

from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
)

UTC = datetime.UTC
MAX_RANGE_DAYS = 31


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime.datetime
    practitioner_name: str
    end: datetime.datetime = field(compare=False)
    practitioner: Practitioner = field(compare=False, repr=False)


def _aware(
    day: datetime.date, wall: datetime.time, zone: datetime.tzinfo
) -> datetime.datetime | None:
    """The instant of a wall-clock time, or None if that time does not exist that day."""
    local = datetime.datetime.combine(day, wall).replace(tzinfo=zone, fold=0)
    round_trip = local.astimezone(UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        return None  # skipped by a spring-forward change
    return local.astimezone(UTC)


def _window_end(
    day: datetime.date, wall: datetime.time, zone: datetime.tzinfo
) -> datetime.datetime:
    end = _aware(day, wall, zone)
    if end is not None:
        return end
    # A closing time inside the skipped hour: the first instant after the gap.
    return datetime.datetime.combine(day, wall).replace(tzinfo=zone, fold=1).astimezone(UTC)


def _merged(
    intervals: Iterable[tuple[datetime.datetime, datetime.datetime]],
) -> tuple[list[datetime.datetime], list[datetime.datetime]]:
    starts: list[datetime.datetime] = []
    ends: list[datetime.datetime] = []
    for start, end in sorted(intervals):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlaps(
    starts: Sequence[datetime.datetime],
    ends: Sequence[datetime.datetime],
    start: datetime.datetime,
    end: datetime.datetime,
) -> bool:
    """Does [start, end) overlap one of the disjoint, sorted intervals?"""
    index = bisect.bisect_left(starts, end) - 1
    return index >= 0 and ends[index] > start


def free_slots(
    *,
    appointment_type: AppointmentType,
    practitioners: Sequence[Practitioner],
    date_from: datetime.date,
    date_to: datetime.date,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
) -> list[Slot]:
    """Every bookable slot of the type for these practitioners on these local dates.

    Three queries whatever the number of practitioners, days or booked appointments:
    working hours, exceptions and booked times.
    """
    if date_to < date_from or (date_to - date_from).days >= MAX_RANGE_DAYS:
        return []
    practitioners = [p for p in practitioners if p.is_active]
    if not practitioners or not appointment_type.is_active:
        return []
    duration = datetime.timedelta(minutes=appointment_type.duration_minutes)
    buffer = datetime.timedelta(minutes=appointment_type.buffer_after_minutes)
    step = duration + buffer
    earliest = (
        now + datetime.timedelta(minutes=appointment_type.lead_time_minutes)
        if respect_lead_time
        else now
    )
    latest = now + datetime.timedelta(days=appointment_type.booking_horizon_days)
    # A generous UTC range around the local dates (time zones are at most ±14 h away).
    range_start = datetime.datetime.combine(
        date_from, datetime.time.min, tzinfo=UTC
    ) - datetime.timedelta(days=1)
    range_end = datetime.datetime.combine(
        date_to, datetime.time.max, tzinfo=UTC
    ) + datetime.timedelta(days=1)
    ids = [p.pk for p in practitioners]

    hours: dict[int, dict[int, list[WorkingHours]]] = defaultdict(lambda: defaultdict(list))
    for rule in WorkingHours.objects.filter(
        practitioner_id__in=ids, valid_from__lte=date_to
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=date_from)):
        hours[rule.practitioner_id][rule.weekday].append(rule)

    exceptions: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    for practitioner_id, start, end in AvailabilityException.objects.filter(
        practitioner_id__in=ids, start__lt=range_end, end__gt=range_start
    ).values_list("practitioner_id", "start", "end"):
        exceptions[practitioner_id].append((start, end))

    booked: dict[int, list[tuple[datetime.datetime, datetime.datetime]]] = defaultdict(list)
    taken = Appointment.objects.filter(
        practitioner_id__in=ids,
        status__in=Appointment.ACTIVE_STATUSES,
        start__lt=range_end,
        blocked_until__gt=range_start,
    )
    if ignore_appointment_id is not None:
        taken = taken.exclude(pk=ignore_appointment_id)
    for practitioner_id, start, blocked_until in taken.values_list(
        "practitioner_id", "start", "blocked_until"
    ):
        booked[practitioner_id].append((start, blocked_until))

    slots: list[Slot] = []
    days = [date_from + datetime.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    for practitioner in practitioners:
        zone = practitioner.zone
        name = practitioner.display_name
        off_starts, off_ends = _merged(exceptions[practitioner.pk])
        busy_starts, busy_ends = _merged(booked[practitioner.pk])
        by_weekday = hours[practitioner.pk]
        for day in days:
            for rule in by_weekday.get(day.weekday(), ()):
                if rule.valid_from > day or (
                    rule.valid_until is not None and rule.valid_until < day
                ):
                    continue
                window_end = _window_end(day, rule.end_time, zone)
                wall = datetime.datetime.combine(day, rule.start_time)
                last_wall = datetime.datetime.combine(day, rule.end_time)
                while wall + duration <= last_wall:
                    maybe_start = _aware(day, wall.time(), zone)
                    wall += step
                    if maybe_start is None:
                        continue
                    start = maybe_start
                    end = start + duration
                    if end > window_end or start < earliest or start > latest:
                        continue
                    if _overlaps(off_starts, off_ends, start, end):
                        continue
                    if _overlaps(busy_starts, busy_ends, start, end + buffer):
                        continue
                    slots.append(
                        Slot(
                            start=start, practitioner_name=name, end=end, practitioner=practitioner
                        )
                    )
    slots.sort()
    return slots


def slot_is_free(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner,
    start: datetime.datetime,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
) -> bool:
    """Is this exact start one of the practitioner's free slots for the type?"""
    local_day = start.astimezone(practitioner.zone).date()
    return any(
        slot.start == start
        for slot in free_slots(
            appointment_type=appointment_type,
            practitioners=[practitioner],
            date_from=local_day,
            date_to=local_day,
            now=now,
            ignore_appointment_id=ignore_appointment_id,
            respect_lead_time=respect_lead_time,
        )
    )
