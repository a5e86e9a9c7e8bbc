"""Free slots: working hours, minus exceptions, minus booked time, within lead time and horizon.

Working hours are wall-clock times in the practitioner's time zone, expanded day by day
with zoneinfo: 09:00 stays 09:00 across a daylight-saving change; a wall time that does
not exist that day (spring forward) is skipped; an ambiguous one (fall back) means its
first occurrence. Slots start at the opening time and every duration + buffer after it.
Hours whose end is at or before their start run past midnight (a night shift): the window
opens on its weekday and closes the next day, and each slot belongs to the local day it
starts on.
"""

from __future__ import annotations

import bisect
import datetime
import uuid
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple, Protocol, TypeVar

from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import Department
from accounts.selectors.directory import departments_all
from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
)
from appointments.selectors import slot_cache
from appointments.selectors.schedules import appointment_types_active, practitioners_for

UTC = datetime.UTC
MAX_RANGE_DAYS = 31
# No visit with its buffer lasts longer (AppointmentType's check constraints): bounds the
# index range scanned for booked time.
LONGEST_VISIT = datetime.timedelta(hours=12)


class Slot(NamedTuple):
    """A free time. A tuple: a department search makes thousands of them."""

    start: datetime.datetime
    end: datetime.datetime
    practitioner_name: str
    practitioner: Practitioner


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


def _merged(intervals: Iterable[tuple[float, float]]) -> tuple[list[float], list[float]]:
    """Sorted, disjoint intervals (epoch seconds) from any intervals."""
    starts: list[float] = []
    ends: list[float] = []
    for start, end in sorted(intervals):
        if ends and start <= ends[-1]:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _overlaps(starts: Sequence[float], ends: Sequence[float], start: float, end: float) -> bool:
    """Does [start, end) overlap one of the disjoint, sorted intervals?"""
    index = bisect.bisect_left(starts, end) - 1
    return index >= 0 and ends[index] > start


def _clear_of(
    openings: Sequence[float], length: float, starts: Sequence[float], ends: Sequence[float]
) -> Sequence[float]:
    """The ascending ``openings`` whose [opening, opening + length) overlaps none of the
    sorted, disjoint intervals: one walk through both (a search checks thousands)."""
    if not openings:
        return openings
    kept = []
    count = len(starts)
    index = bisect.bisect_right(ends, openings[0])  # the first interval ending after it
    for opening in openings:
        while index < count and ends[index] <= opening:
            index += 1
        if index < count and starts[index] < opening + length:
            continue
        kept.append(opening)
    return kept


def _busy_intervals(
    ids: list[int],
    range_start: datetime.datetime,
    range_end: datetime.datetime,
    ignore_appointment_id: int | None,
) -> dict[int, list[tuple[float, float]]]:
    """Booked time per practitioner, as epoch seconds. On PostgreSQL the database computes the
    numbers: parsing thousands of timestamps in Python was most of a search's time."""
    booked: dict[int, list[tuple[float, float]]] = defaultdict(list)
    statuses = list(Appointment.ACTIVE_STATUSES)
    if connection.vendor == "postgresql":
        sql = (
            "SELECT practitioner_id, extract(epoch FROM start)::float8, extract(epoch FROM blocked_until)::float8 "
            "FROM appointments_appointment WHERE practitioner_id = ANY(%s) AND status = ANY(%s) "
            "AND start < %s AND start >= %s AND blocked_until > %s AND id <> %s"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                sql,
                [
                    ids,
                    statuses,
                    range_end,
                    range_start - LONGEST_VISIT,
                    range_start,
                    ignore_appointment_id or 0,
                ],
            )
            for practitioner_id, start, end in cursor.fetchall():
                booked[practitioner_id].append((start, end))
        return booked
    taken = Appointment.objects.filter(
        practitioner_id__in=ids,
        status__in=statuses,
        start__lt=range_end,
        start__gte=range_start - LONGEST_VISIT,
        blocked_until__gt=range_start,
    )
    if ignore_appointment_id is not None:
        taken = taken.exclude(pk=ignore_appointment_id)
    for practitioner_id, start, end in taken.values_list(
        "practitioner_id", "start", "blocked_until"
    ):
        booked[practitioner_id].append((start.timestamp(), end.timestamp()))
    return booked


def _working_hours(
    ids: list[int], date_from: datetime.date, date_to: datetime.date
) -> list[tuple[int, int, datetime.time, datetime.time, datetime.date, datetime.date | None]]:
    """The working-hours rules of these practitioners that apply on some of these days, in
    no particular order (a search sorts what it finds). On PostgreSQL in plain SQL: building
    the ORM's query was ~0.3 ms of a search."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT practitioner_id, weekday, start_time, end_time, valid_from, valid_until "
                "FROM appointments_workinghours WHERE practitioner_id = ANY(%s) "
                "AND valid_from <= %s AND (valid_until IS NULL OR valid_until >= %s)",
                [ids, date_to, date_from],
            )
            rules: list[
                tuple[int, int, datetime.time, datetime.time, datetime.date, datetime.date | None]
            ] = cursor.fetchall()
            return rules
    return list(
        WorkingHours.objects.filter(practitioner_id__in=ids, valid_from__lte=date_to)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=date_from))
        .values_list(
            "practitioner_id", "weekday", "start_time", "end_time", "valid_from", "valid_until"
        )
    )


def _exceptions(
    ids: list[int], range_start: datetime.datetime, range_end: datetime.datetime
) -> list[tuple[int, float, float]]:
    """Leave and blocked time of these practitioners overlapping the range, as epoch seconds
    (computed by PostgreSQL there, as ``_busy_intervals``)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT practitioner_id, extract(epoch FROM start)::float8, "
                'extract(epoch FROM "end")::float8 FROM appointments_availabilityexception '
                'WHERE practitioner_id = ANY(%s) AND start < %s AND "end" > %s',
                [ids, range_end, range_start],
            )
            taken: list[tuple[int, float, float]] = cursor.fetchall()
            return taken
    return [
        (practitioner_id, start.timestamp(), end.timestamp())
        for practitioner_id, start, end in AvailabilityException.objects.filter(
            practitioner_id__in=ids, start__lt=range_end, end__gt=range_start
        ).values_list("practitioner_id", "start", "end")
    ]


_BY_TIME = attrgetter("start", "practitioner_name")


class _Rule(NamedTuple):
    start_time: datetime.time
    end_time: datetime.time
    valid_from: datetime.date
    valid_until: datetime.date | None

    @property
    def overnight(self) -> bool:
        return self.end_time <= self.start_time

    def applies_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


ONE_DAY = datetime.timedelta(days=1)


@lru_cache(maxsize=4096)
def _window_starts(
    day: datetime.date, rule: _Rule, zone: datetime.tzinfo, duration: float, step: float
) -> tuple[tuple[float, ...], float]:
    """Slot starts (epoch seconds) of one working-hours window opening on one day, and its
    end (the next day's for a night shift)."""
    closing_day = day + ONE_DAY if rule.overnight else day
    window_end_instant = _window_end(closing_day, rule.end_time, zone)
    window_end = window_end_instant.timestamp()
    first = _aware(day, rule.start_time, zone)
    opening = datetime.datetime.combine(day, rule.start_time)
    closing = datetime.datetime.combine(closing_day, rule.end_time)
    same_offset = first is not None and (
        first.astimezone(zone).utcoffset() == window_end_instant.astimezone(zone).utcoffset()
    )
    if first is not None and same_offset:
        # No clock change inside the window: plain arithmetic.
        start = first.timestamp()
        count = int(((closing - opening).total_seconds() - duration) // step) + 1
        return tuple(start + k * step for k in range(max(count, 0))), window_end
    # A clock change inside the window: each wall-clock start on its own.
    starts = []
    wall = opening
    step_delta = datetime.timedelta(seconds=step)
    while (wall - opening).total_seconds() + duration <= (closing - opening).total_seconds():
        instant = _aware(wall.date(), wall.time(), zone)
        if instant is not None:
            starts.append(instant.timestamp())
        wall += step_delta
    return tuple(starts), window_end


class Schedulable(Protocol):
    """What a search needs of a practitioner: a model instance or a ``SlotPractitioner``."""

    @property
    def pk(self) -> int: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def time_zone(self) -> str: ...


P = TypeVar("P", bound=Schedulable)


class VisitRules(Protocol):
    """What a search needs of an appointment type: the model or a ``SlotVisit``."""

    @property
    def is_active(self) -> bool: ...
    @property
    def duration_minutes(self) -> int: ...
    @property
    def buffer_after_minutes(self) -> int: ...
    @property
    def lead_time_minutes(self) -> int: ...
    @property
    def booking_horizon_days(self) -> int: ...


class SlotPractitioner(NamedTuple):
    """A practitioner as a slot search shows them, read in one query without model instances
    (a department's search lists dozens); public ids as text (cached, and shown as text)."""

    pk: int
    public_id: str
    time_zone: str
    is_active: bool
    display_name: str
    department_public_id: str
    department_name: str


def _display_name(title: str | None, full_name: str, email: str) -> str:
    # Practitioner.display_name, from the columns.
    return f"{title or ''} {full_name or email}".strip()


def slot_practitioners(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner | None = None,
    department: Department | None = None,
) -> list[SlotPractitioner]:
    """Whose free times a search shows (``schedules.practitioners_offering``): the chosen
    practitioner, or every active one offering the type in a department (the type's own
    unless another is chosen)."""
    if practitioner is not None:
        return [
            SlotPractitioner(
                pk=practitioner.pk,
                public_id=str(practitioner.public_id),
                time_zone=practitioner.time_zone,
                is_active=practitioner.is_active,
                display_name=practitioner.display_name,
                department_public_id=str(practitioner.department.public_id),
                department_name=practitioner.department.name,
            )
        ]
    department_id = department.pk if department is not None else appointment_type.department_id
    rows = Practitioner.objects.filter(
        is_active=True, department_id=department_id, appointment_types=appointment_type
    ).values_list(
        "pk",
        "public_id",
        "time_zone",
        "user__staff_profile__title",
        "user__full_name",
        "user__email",
        "department__public_id",
        "department__name",
    )
    return [
        SlotPractitioner(
            pk=pk,
            public_id=str(public_id),
            time_zone=time_zone,
            is_active=True,
            display_name=_display_name(title, full_name, email),
            department_public_id=str(department_public_id),
            department_name=department_name,
        )
        for pk, public_id, time_zone, title, full_name, email, department_public_id, department_name in rows
    ]


class SlotVisit(NamedTuple):
    """What a search needs of an appointment type (``VisitRules``), without the model."""

    pk: int
    department_id: int
    duration_minutes: int
    buffer_after_minutes: int
    lead_time_minutes: int
    booking_horizon_days: int
    is_active: bool


class SlotCatalog(NamedTuple):
    """What a search by public ids shows: the type's rules and the practitioners listed."""

    appointment_type: SlotVisit
    practitioners: list[SlotPractitioner]


def slot_catalog(
    *,
    appointment_type_id: uuid.UUID,
    department_id: uuid.UUID | None = None,
    practitioner_id: uuid.UUID | None = None,
    remembered: bool = False,
) -> tuple[SlotCatalog | None, int | None]:
    """The catalog of a search (``SlotQuery``'s lookups and ``slot_practitioners``) by public
    ids, from the slot cache while no type, department, practitioner, staff profile or user
    name has changed (``appointments.subscribers``); None when an id names nothing a search
    accepts (an active type, a department, an active practitioner offering the type): the
    caller then validates the long way, for the error.

    With its generation when ``remembered``: as this process last found it, unchecked until
    ``free_slot_times(catalog_generation=...)`` checks it in the search's own round trip
    (``slot_cache.CatalogChanged`` when it moved on: ask again without ``remembered``)."""

    def build() -> SlotCatalog | None:
        appointment_type = appointment_types_active().filter(public_id=appointment_type_id).first()
        if appointment_type is None:
            return None
        department = None
        if department_id is not None:
            department = departments_all().filter(public_id=department_id).first()
            if department is None:
                return None
        practitioner = None
        if practitioner_id is not None:
            practitioner = (
                practitioners_for(appointment_type=appointment_type)
                .filter(public_id=practitioner_id)
                .first()
            )
            if practitioner is None:
                return None
        return SlotCatalog(
            appointment_type=SlotVisit(
                pk=appointment_type.pk,
                department_id=appointment_type.department_id,
                duration_minutes=appointment_type.duration_minutes,
                buffer_after_minutes=appointment_type.buffer_after_minutes,
                lead_time_minutes=appointment_type.lead_time_minutes,
                booking_horizon_days=appointment_type.booking_horizon_days,
                is_active=appointment_type.is_active,
            ),
            practitioners=slot_practitioners(
                appointment_type=appointment_type,
                practitioner=practitioner,
                department=department,
            ),
        )

    name = f"{appointment_type_id}:{department_id or ''}:{practitioner_id or ''}"
    if remembered:
        return slot_cache.catalog_remembered(name, build)
    return slot_cache.catalog_get(name, build), None


def _day_starts(
    practitioners: Sequence[tuple[int, str]],
    *,
    duration: float,
    buffer: float,
    date_from: datetime.date,
    date_to: datetime.date,
    ignore_appointment_id: int | None,
) -> slot_cache.DayStarts:
    """Free starts (epoch seconds) per practitioner and local day, whatever the time now:
    working hours minus leave minus booked time. Three queries."""
    step = duration + buffer
    # A generous UTC range around the local dates (time zones are at most ±14 h away).
    range_start = datetime.datetime.combine(
        date_from, datetime.time.min, tzinfo=UTC
    ) - datetime.timedelta(days=1)
    range_end = datetime.datetime.combine(
        date_to, datetime.time.max, tzinfo=UTC
    ) + datetime.timedelta(days=1)
    ids = [pk for pk, _zone in practitioners]

    hours: dict[int, dict[int, list[_Rule]]] = defaultdict(lambda: defaultdict(list))
    for practitioner_id, weekday, opens, closes, valid_from, valid_until in _working_hours(
        ids, date_from - ONE_DAY, date_to
    ):
        hours[practitioner_id][weekday].append(_Rule(opens, closes, valid_from, valid_until))

    exceptions: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for practitioner_id, start, end in _exceptions(ids, range_start, range_end):
        exceptions[practitioner_id].append((start, end))

    booked = _busy_intervals(ids, range_start, range_end, ignore_appointment_id)

    days = [date_from + datetime.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    result: slot_cache.DayStarts = {}
    for practitioner_id, zone_name in practitioners:
        zone = zoneinfo.ZoneInfo(zone_name)
        off_starts, off_ends = _merged(exceptions[practitioner_id])
        busy_starts, busy_ends = _merged(booked[practitioner_id])
        by_weekday = hours[practitioner_id]
        per_day: dict[datetime.date, list[float]] = {day: [] for day in days}
        # The evening before the first day: a night shift opening then reaches into it.
        for day in [date_from - ONE_DAY, *days]:
            for rule in by_weekday.get(day.weekday(), ()):
                if not rule.applies_on(day) or (day < date_from and not rule.overnight):
                    continue
                starts, window_end = _window_starts(day, rule, zone, duration, step)
                # The last visit must end in the window.
                openings: Sequence[float] = starts[
                    : bisect.bisect_right(starts, window_end - duration)
                ]
                if off_starts:
                    openings = _clear_of(openings, duration, off_starts, off_ends)
                if busy_starts:
                    openings = _clear_of(openings, duration + buffer, busy_starts, busy_ends)
                if not rule.overnight:
                    per_day[day].extend(openings)
                    continue
                # Before local midnight on the day it opens, after it on the next.
                midnight = _window_end(day + ONE_DAY, datetime.time.min, zone).timestamp()
                split = bisect.bisect_left(openings, midnight)
                if day in per_day:
                    per_day[day].extend(openings[:split])
                if day + ONE_DAY in per_day:
                    per_day[day + ONE_DAY].extend(openings[split:])
        for free in per_day.values():
            free.sort()
        result[practitioner_id] = per_day
    return result


def _patient_appointments_between(
    *,
    patient_id: int | None,
    start: datetime.datetime,
    end: datetime.datetime,
    ignore_appointment_id: int | None,
) -> QuerySet[Appointment]:
    """The patient's appointments that take time overlapping [start, end), but the one
    being moved (no patient: none)."""
    taken = Appointment.objects.filter(
        patient_id=patient_id,
        status__in=Appointment.ACTIVE_STATUSES,
        start__lt=end,
        end__gt=start,
    )
    return taken if ignore_appointment_id is None else taken.exclude(pk=ignore_appointment_id)


def free_slot_times(
    *,
    appointment_type: VisitRules,
    practitioners: Sequence[P],
    date_from: datetime.date,
    date_to: datetime.date,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
    patient_id: int | None = None,
    cached: bool = True,
    catalog_generation: int | None = None,
) -> list[tuple[P, list[float]]]:
    """The bookable starts (epoch seconds, ascending) of the type, per active practitioner, on
    these local dates; the end of each is ``duration_minutes`` later.

    ``catalog_generation``: the type and practitioners come from ``slot_catalog(remembered=
    True)`` at that generation; ``slot_cache.CatalogChanged`` if it is not the current one.

    From the slot cache (``slot_cache``) unless ``cached`` is false or an appointment is being
    moved (``ignore_appointment_id``); what the cache lacks takes three queries whatever the
    number of practitioners, days or booked appointments (working hours, exceptions and
    booked times). A fourth, with ``patient_id``, leaves out times when that patient is
    already booked elsewhere. The lead time and the horizon are applied here, to ``now``.
    """
    if date_to < date_from or (date_to - date_from).days >= MAX_RANGE_DAYS:
        return []
    practitioners = [p for p in practitioners if p.is_active]
    if not practitioners or not appointment_type.is_active:
        if catalog_generation is not None:
            raise slot_cache.CatalogChanged()  # nothing to check it with: ask the cache
        return []
    duration = appointment_type.duration_minutes * 60.0
    buffer = appointment_type.buffer_after_minutes * 60.0
    earliest = now.timestamp() + (
        appointment_type.lead_time_minutes * 60 if respect_lead_time else 0
    )
    latest = now.timestamp() + appointment_type.booking_horizon_days * 86400
    days = [date_from + datetime.timedelta(days=n) for n in range((date_to - date_from).days + 1)]
    zones = [(p.pk, p.time_zone) for p in practitioners]

    def compute(
        ids: Sequence[int], first: datetime.date, last: datetime.date
    ) -> slot_cache.DayStarts:
        wanted = set(ids)
        return _day_starts(
            [(pk, zone) for pk, zone in zones if pk in wanted],
            duration=duration,
            buffer=buffer,
            date_from=first,
            date_to=last,
            ignore_appointment_id=ignore_appointment_id,
        )

    if cached and ignore_appointment_id is None:
        found = slot_cache.day_starts(
            practitioners=zones,
            shape=(appointment_type.duration_minutes, appointment_type.buffer_after_minutes),
            days=days,
            compute=compute,
            catalog_generation=catalog_generation,
        )
    elif catalog_generation is not None:
        raise slot_cache.CatalogChanged()  # only the cache's round trip checks it
    else:
        found = slot_cache.flatten(compute([pk for pk, _zone in zones], date_from, date_to), days)

    patient_starts: list[float] = []
    patient_ends: list[float] = []
    if patient_id is not None:
        range_start = datetime.datetime.combine(
            date_from, datetime.time.min, tzinfo=UTC
        ) - datetime.timedelta(days=1)
        range_end = datetime.datetime.combine(
            date_to, datetime.time.max, tzinfo=UTC
        ) + datetime.timedelta(days=1)
        own = _patient_appointments_between(
            patient_id=patient_id,
            start=range_start,
            end=range_end,
            ignore_appointment_id=ignore_appointment_id,
        )
        patient_starts, patient_ends = _merged(
            (a.timestamp(), b.timestamp()) for a, b in own.values_list("start", "end")
        )

    result: list[tuple[P, list[float]]] = []
    for practitioner in practitioners:
        starts = found.get(practitioner.pk, [])
        if starts and (starts[0] < earliest or starts[-1] > latest):
            low = bisect.bisect_left(starts, earliest)
            high = bisect.bisect_right(starts, latest)
            starts = starts[low:high]
        if patient_starts:
            starts = [
                opening
                for opening in starts
                if not _overlaps(patient_starts, patient_ends, opening, opening + duration)
            ]
        result.append((practitioner, starts))
    return result


def free_slots(
    *,
    appointment_type: AppointmentType,
    practitioners: Sequence[Practitioner],
    date_from: datetime.date,
    date_to: datetime.date,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
    patient_id: int | None = None,
    cached: bool = True,
) -> list[Slot]:
    """Every bookable slot of the type for these practitioners on these local dates, by time
    (``free_slot_times`` as Slots: for pages that show them all)."""
    duration = appointment_type.duration_minutes * 60.0
    from_timestamp = datetime.datetime.fromtimestamp
    slots: list[Slot] = []
    for practitioner, starts in free_slot_times(
        appointment_type=appointment_type,
        practitioners=practitioners,
        date_from=date_from,
        date_to=date_to,
        now=now,
        ignore_appointment_id=ignore_appointment_id,
        respect_lead_time=respect_lead_time,
        patient_id=patient_id,
        cached=cached,
    ):
        name = practitioner.display_name
        slots.extend(
            Slot(
                start=from_timestamp(opening, UTC),
                end=from_timestamp(opening + duration, UTC),
                practitioner_name=name,
                practitioner=practitioner,
            )
            for opening in starts
        )
    slots.sort(key=_BY_TIME)
    return slots


class SlotCheck(NamedTuple):
    """What a booking decides on, read in one round trip (``slot_check``)."""

    free: bool  # the start is one of the practitioner's free slots for the type
    offered: bool  # the practitioner offers the type (``schedules.practitioner_offers``)
    patient_busy: bool  # the patient has another active appointment overlapping the visit
    # Why a start is not free (in the same round trip on PostgreSQL): ``taken``, an active
    # appointment of the practitioner starts at exactly this time (a lost race: 409);
    # ``overlapped``, one overlaps the visit and its buffer.
    taken: bool
    overlapped: bool


# One round trip for one start (PostgreSQL): whether the practitioner offers the type, whether
# the patient is booked elsewhere then, that day's working hours (and the night shift of the
# evening before, which may reach into it: the last field says which), whether leave or booked
# time overlaps this start. The rules of a search (``_day_starts``), read for one start only:
# leave overlapping [start, end), booked time overlapping [start, end + buffer). Overlapping
# appointments come back as their statuses, active ones counted here: a status filter in the
# query had PostgreSQL weigh the partial indexes too (twice the planning of each lookup).
_SLOT_CHECK_SQL = (
    "SELECT EXISTS(SELECT 1 FROM appointments_practitioner_appointment_types "
    "WHERE practitioner_id = %(practitioner)s AND appointmenttype_id = %(type)s), "
    "ARRAY(SELECT status FROM appointments_appointment WHERE patient_id = %(patient)s "
    'AND start < %(end)s AND "end" > %(start)s AND id <> %(ignore)s), '
    "(SELECT json_agg(json_build_array(start_time, end_time, valid_from, valid_until, "
    "weekday = %(weekday)s)) FROM appointments_workinghours "
    "WHERE practitioner_id = %(practitioner)s AND ((weekday = %(weekday)s "
    "AND valid_from <= %(day)s AND (valid_until IS NULL OR valid_until >= %(day)s)) "
    "OR (weekday = %(eve_weekday)s AND end_time <= start_time AND valid_from <= %(eve)s "
    "AND (valid_until IS NULL OR valid_until >= %(eve)s)))), "
    "EXISTS(SELECT 1 FROM appointments_availabilityexception "
    'WHERE practitioner_id = %(practitioner)s AND start < %(end)s AND "end" > %(start)s), '
    "ARRAY(SELECT status FROM appointments_appointment "
    "WHERE practitioner_id = %(practitioner)s AND start < %(blocked_until)s "
    "AND start >= %(booked_from)s AND blocked_until > %(start)s AND id <> %(ignore)s), "
    "ARRAY(SELECT status FROM appointments_appointment "
    "WHERE practitioner_id = %(practitioner)s AND start = %(start)s AND id <> %(ignore)s)"
)


def _active(statuses: Iterable[str]) -> bool:
    return any(status in Appointment.ACTIVE_STATUSES for status in statuses)


def _on_the_grid(
    *,
    rules: Iterable[tuple[datetime.date, _Rule]],
    zone: datetime.tzinfo,
    duration: float,
    step: float,
    start: datetime.datetime,
) -> bool:
    """Is ``start`` one of the slot starts of these working-hours windows, each opening on its
    local day (the last visit ending in its window), as ``_day_starts`` lays them out?"""
    wanted = start.timestamp()
    from_timestamp = datetime.datetime.fromtimestamp
    for day, rule in rules:
        starts, window_end = _window_starts(day, rule, zone, duration, step)
        index = bisect.bisect_left(starts, wanted)
        # The grid's floats, compared as the search's datetimes would be.
        for opening in starts[max(index - 1, 0) : index + 1]:
            if opening <= window_end - duration and from_timestamp(opening, UTC) == start:
                return True
    return False


def slot_check(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner,
    start: datetime.datetime,
    now: datetime.datetime,
    patient_id: int | None = None,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
) -> SlotCheck:
    """Is this exact start one of the practitioner's free slots for the type (``free``, as
    ``free_slot_times`` computes them, within lead time and horizon), does the practitioner
    offer the type, is the patient booked elsewhere then, and if the start is not free, is it
    held or overlapped? Read from the database, never the cache: the services decide on it
    (the database's constraints have the last word on their writes). One query on PostgreSQL.
    """
    duration = appointment_type.duration_minutes * 60.0
    buffer = appointment_type.buffer_after_minutes * 60.0
    end = start + datetime.timedelta(seconds=duration)
    blocked_until = end + datetime.timedelta(seconds=buffer)
    zone = practitioner.zone
    local_day = start.astimezone(zone).date()
    if connection.vendor != "postgresql":
        patient_elsewhere = _patient_appointments_between(
            patient_id=patient_id,
            start=start,
            end=end,
            ignore_appointment_id=ignore_appointment_id,
        )
        free = _slot_is_free_searched(
            appointment_type=appointment_type,
            practitioner=practitioner,
            start=start,
            now=now,
            ignore_appointment_id=ignore_appointment_id,
            respect_lead_time=respect_lead_time,
        )
        taken = overlapped = False
        if not free:  # why not: read only when asked
            clashes = Appointment.objects.filter(
                practitioner=practitioner,
                status__in=Appointment.ACTIVE_STATUSES,
                start__lt=blocked_until,
                blocked_until__gt=start,
            )
            if ignore_appointment_id is not None:
                clashes = clashes.exclude(pk=ignore_appointment_id)
            taken = clashes.filter(start=start).exists()
            overlapped = taken or clashes.exists()
        return SlotCheck(
            free=free,
            offered=practitioner.appointment_types.filter(pk=appointment_type.pk).exists(),
            patient_busy=patient_id is not None and patient_elsewhere.exists(),
            taken=taken,
            overlapped=overlapped,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _SLOT_CHECK_SQL,
            {
                "practitioner": practitioner.pk,
                "type": appointment_type.pk,
                "patient": patient_id or 0,
                "start": start,
                "end": end,
                "blocked_until": blocked_until,
                "booked_from": start - LONGEST_VISIT,
                "weekday": local_day.weekday(),
                "day": local_day,
                "eve_weekday": (local_day - ONE_DAY).weekday(),
                "eve": local_day - ONE_DAY,
                "ignore": ignore_appointment_id or 0,
            },
        )
        offered, patient_elsewhere, hours, on_leave, booked, starting = cursor.fetchone()
    check = SlotCheck(
        free=False,
        offered=bool(offered),
        patient_busy=_active(patient_elsewhere),
        taken=_active(starting),
        overlapped=_active(booked),
    )
    if on_leave or check.overlapped or not hours:
        return check
    if not (practitioner.is_active and appointment_type.is_active):
        return check
    wanted = start.timestamp()
    earliest = now.timestamp() + (
        appointment_type.lead_time_minutes * 60 if respect_lead_time else 0
    )
    latest = now.timestamp() + appointment_type.booking_horizon_days * 86400
    if not earliest <= wanted <= latest:
        return check
    rules = [
        (
            local_day if same_day else local_day - ONE_DAY,
            _Rule(
                datetime.time.fromisoformat(opens),
                datetime.time.fromisoformat(closes),
                datetime.date.fromisoformat(valid_from),
                datetime.date.fromisoformat(valid_until) if valid_until else None,
            ),
        )
        for opens, closes, valid_from, valid_until, same_day in hours
    ]
    free = _on_the_grid(
        rules=rules,
        zone=zone,
        duration=duration,
        step=duration + buffer,
        start=start,
    )
    return check._replace(free=free)


def slot_is_free(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner,
    start: datetime.datetime,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
) -> bool:
    """Is this exact start one of the practitioner's free slots for the type? Read from the
    database, never the cache: the services decide on it (inside their transaction)."""
    return slot_check(
        appointment_type=appointment_type,
        practitioner=practitioner,
        start=start,
        now=now,
        ignore_appointment_id=ignore_appointment_id,
        respect_lead_time=respect_lead_time,
    ).free


def _slot_is_free_searched(
    *,
    appointment_type: AppointmentType,
    practitioner: Practitioner,
    start: datetime.datetime,
    now: datetime.datetime,
    ignore_appointment_id: int | None = None,
    respect_lead_time: bool = True,
) -> bool:
    """``slot_is_free`` by a whole day's search (other databases; and the reference the
    tests compare ``slot_check`` with)."""
    local_day = start.astimezone(practitioner.zone).date()
    return any(
        datetime.datetime.fromtimestamp(opening, UTC) == start
        for _practitioner, starts in free_slot_times(
            appointment_type=appointment_type,
            practitioners=[practitioner],
            date_from=local_day,
            date_to=local_day,
            now=now,
            ignore_appointment_id=ignore_appointment_id,
            respect_lead_time=respect_lead_time,
            cached=False,
        )
        for opening in starts
    )
