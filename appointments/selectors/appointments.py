"""Appointments: who may see which, the lists of the pages and the API, schedules, feeds."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    CharField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    Lookup,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import CLINICAL_ROLES
from appointments import permissions
from appointments.models import Appointment, AppointmentType, Practitioner
from appointments.permissions import FRONT_DESK
from appointments.selectors import slot_cache
from audit.access import viewed
from audit.services import AuditTarget

Status = Appointment.Status
_SQL = tuple[str, tuple[Any, ...]]
# How far back a calendar feed reaches: calendar apps keep what they have already seen.
FEED_HISTORY = datetime.timedelta(days=90)
# Appointments that make a clinician part of the patient's care: the patient agreed to see
# them. Not a cancelled one, nor a waitlist offer the patient has not accepted.
CARE_STATUSES = (
    Status.BOOKED,
    Status.CHECKED_IN,
    Status.IN_PROGRESS,
    Status.COMPLETED,
    Status.NO_SHOW,
)


# What an appointment is shown with (AppointmentOutput, the pages): read in the same query.
_SHOWN_WITH = (
    "patient",
    "practitioner__user__staff_profile",
    "practitioner__department",
    "appointment_type",
)


def _care_since(now: datetime.datetime) -> datetime.datetime:
    return now - datetime.timedelta(days=settings.APPOINTMENT_CARE_RELATIONSHIP_DAYS)


def care_relationships_of(*, user: User, now: datetime.datetime) -> QuerySet[Appointment]:
    """The clinician's appointments that make them part of a patient's care now: upcoming,
    or ended at most APPOINTMENT_CARE_RELATIONSHIP_DAYS ago, and not cancelled."""
    return Appointment.objects.filter(
        practitioner__user=user, status__in=CARE_STATUSES, end__gte=_care_since(now)
    )


# Ids for ``_InArray``: a list, or on PostgreSQL an array as PostgreSQL wrote it ("{1,2,3}").
_Ids = list[int] | str


class _InArray(Lookup[Any]):
    """``column = ANY(%s)``: the values as one array parameter on PostgreSQL (``__in`` makes
    a placeholder of each, and Django prepares each: ~1 ms of a clinician's list for a few
    hundred patients), still a constant the planner estimates from. ``IN (...)`` elsewhere."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> _SQL:
        column, params = self.process_lhs(compiler, connection)
        values: _Ids = self.rhs
        if connection.vendor == "postgresql":
            # The column's own type (psycopg types a list by its largest value).
            array_type = self.lhs.output_field.cast_db_type(connection)
            return f"{column} = ANY(%s::{array_type}[])", (*params, values)
        if not values:
            return "1 = 0", tuple(params)
        return f"{column} IN ({', '.join(['%s'] * len(values))})", (*params, *values)


# ``care_relationships_of`` in plain SQL, with the practitioner row: building the ORM's query
# was ~0.5 ms of a clinician's list (tests compare the list with the rule's subquery form).
# The patients come as the array's text and go back as it is in the list's query: psycopg
# writes a list of ints element by element in Python (~80 us for 266, more for thousands).
# The start bound (the ``when=upcoming`` one, ``_started_since``) lets the care read take
# only the practitioner's appointments of the last weeks from (practitioner, start), not all
# of them (0.41 -> 0.17 ms in PostgreSQL at 2,000 of theirs).
_REACH_SQL = (
    "SELECT p.id, ARRAY(SELECT DISTINCT c.patient_id FROM appointments_appointment c "
    'WHERE c.practitioner_id = p.id AND c.status = ANY(%s) AND c."end" >= %s '
    'AND c.start >= %s - (SELECT "end" - "start" FROM appointments_appointment '
    'ORDER BY "end" - "start" DESC LIMIT 1))::text '
    "FROM appointments_practitioner p WHERE p.user_id = %s"
)
_NO_IDS = "{}"


def _clinicians_reach(*, user: User, now: datetime.datetime) -> tuple[int | None, _Ids]:
    """A clinician's practitioner row (None if they have none) and the patients in their care
    (``care_relationships_of``; none: empty): one query on PostgreSQL."""
    if connection.vendor != "postgresql":
        own = Practitioner.objects.filter(user=user).order_by().values_list("pk", flat=True)
        in_care = care_relationships_of(user=user, now=now).order_by().distinct()
        return own.first(), list(in_care.values_list("patient_id", flat=True))
    with connection.cursor() as cursor:
        since = _care_since(now)
        statuses = [status.value for status in CARE_STATUSES]
        cursor.execute(_REACH_SQL, [statuses, since, since, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None, []
    return row[0], "" if row[1] == _NO_IDS else row[1]


def appointments_visible_to(
    *,
    user: User,
    now: datetime.datetime | None = None,
    own_schedule: bool = False,
) -> QuerySet[Appointment]:
    """Deny by default: each role sees only what its work needs.

    Patients: their own. Reception and administrators: all. Doctors and nurses: their own
    appointments (their schedule and its history), and a patient's other appointments only
    while they care for the patient (``care_relationships_of``). Anyone else: none. Whether
    the reason for the visit shows is ``permissions.can_see_reason``.

    ``own_schedule``: only those of the user's own schedule (as the practitioner).

    The care relationship as subqueries: where the rows are already narrowed (one by its id,
    a schedule's window), they are cheaper than a round trip. Lists read it first instead
    (``list_scope``, the same rule)."""
    base = Appointment.objects.select_related(*_SHOWN_WITH)
    if not user.is_authenticated or not user.is_active:
        return base.none()
    if own_schedule:
        # Their practitioner row's id, not a join to it: PostgreSQL then reads the schedule
        # in order from (practitioner, start) instead of walking everyone's appointments.
        their_row = Practitioner.objects.filter(user=user).order_by().values("pk")[:1]
        base = base.filter(practitioner_id=Subquery(their_row))
    if user.is_patient:
        return base.filter(patient=user)
    if user.role in FRONT_DESK or user.is_superuser:
        return base.all()
    if user.role in CLINICAL_ROLES:
        if own_schedule:
            # All of their own schedule is theirs to see: no care relationship to ask about.
            return base
        in_care_query = care_relationships_of(user=user, now=now or timezone.now())
        return base.filter(
            Q(practitioner__user=user) | Q(patient__in=in_care_query.values("patient"))
        )
    return base.none()


class ListScope(NamedTuple):
    """Which appointments a list shows its user (``list_scope``), as one decision that both
    forms of the list render: the ORM's (``Q``, every database) and the plain SQL of
    PostgreSQL's page (``_ListRows``).

    Each field narrows: ``schedule_of``, the appointments of this user's practitioner row
    (their own schedule); ``patient``, this patient's own; ``practitioner`` and
    ``in_care``, a clinician's own appointments or (OR) those of these patients. All None
    (and ``in_care`` empty): every appointment."""

    schedule_of: int | None = None
    patient: int | None = None
    practitioner: int | None = None
    in_care: _Ids = ""


def list_scope(
    *, user: User, now: datetime.datetime, own_schedule: bool = False
) -> ListScope | None:
    """What ``appointments_visible_to`` lets ``user`` list; None: nothing.

    A clinician's practitioner row and patients in care are read here first (one small
    query), so the list's query names them as constants: PostgreSQL then knows how many rows
    "own schedule or a patient in care" is and walks the list's order (start) when they are
    many, or reads them by practitioner and patient when they are few. As subqueries it
    guesses (half of all appointments for the hashed one) and walked the whole table for a
    clinician with few patients, or scanned every appointment for the OR (~60 ms at 100,000
    rows, measured). Tests compare the lists with ``appointments_visible_to``."""
    if not user.is_authenticated or not user.is_active:
        return None
    schedule_of = user.pk if own_schedule else None
    if user.is_patient:
        return ListScope(schedule_of=schedule_of, patient=user.pk)
    if user.role in FRONT_DESK or user.is_superuser:
        return ListScope(schedule_of=schedule_of)
    if user.role in CLINICAL_ROLES:
        if own_schedule:
            # All of their own schedule is theirs to see: no care relationship to ask about.
            return ListScope(schedule_of=schedule_of)
        own, in_care = _clinicians_reach(user=user, now=now)
        if own is None and not in_care:
            return None
        return ListScope(practitioner=own, in_care=in_care)
    return None


def _scope_q(scope: ListScope) -> Q:
    """The scope as the ORM's condition (the practitioner row's id, not a join to it:
    PostgreSQL then reads a schedule in order from (practitioner, start))."""
    wanted = Q()
    if scope.schedule_of is not None:
        their_row = Practitioner.objects.filter(user_id=scope.schedule_of).order_by()
        wanted &= Q(practitioner_id=Subquery(their_row.values("pk")[:1]))
    if scope.patient is not None:
        wanted &= Q(patient_id=scope.patient)
    visible = Q()
    if scope.in_care:
        visible |= Q(_InArray(F("patient_id"), scope.in_care))
    if scope.practitioner is not None:
        visible |= Q(practitioner_id=scope.practitioner)
    return wanted & visible


class ListedPractitioner(NamedTuple):
    """What a listed appointment shows of its practitioner (``practitioners_listed``)."""

    public_id: str
    time_zone: str
    user_id: int
    full_name: str
    email: str
    title: str | None
    department_public_id: str
    department_name: str


# The practitioners of a page of the list, read apart from the page: joined in, their four
# tables made PostgreSQL plan a join of seven for every page (~2 ms of planning, more than
# the page took to read); apart, two small plans (~0.4 and ~0.15 ms). Plain SQL on
# PostgreSQL: the ORM's query building would cost what the split saves in Python.
_PRACTITIONERS_SQL = (
    "SELECT p.id, p.public_id::text, p.time_zone, p.user_id, u.full_name, u.email, s.title, "
    "d.public_id::text, d.name FROM appointments_practitioner p "
    "JOIN accounts_user u ON u.id = p.user_id "
    "LEFT JOIN accounts_staffprofile s ON s.user_id = p.user_id "
    "JOIN accounts_department d ON d.id = p.department_id WHERE p.id = ANY(%s::bigint[])"
)


def practitioners_listed(ids: Collection[int]) -> dict[int, ListedPractitioner]:
    """The practitioners with these ids, as a listed appointment shows them, by id. Only for
    ids read from appointments the user may see (their references).

    From the slot search's catalog (one cache round trip; slot_cache.catalog_get): what it
    holds of practitioners (names, titles, departments, time zones) is what is shown here,
    and every change to those moves the catalog on (appointments/subscribers.py), so an
    entry is never read after a change. Else one query."""
    if not ids:
        return {}
    ordered = sorted(ids)
    rows = slot_cache.catalog_get(
        "listed-practitioners:" + ",".join(map(str, ordered)),
        lambda: _practitioner_rows(ordered),
    )
    return {row[0]: ListedPractitioner(*row[1:]) for row in rows}


def _practitioner_rows(ids: Sequence[int]) -> list[tuple[Any, ...]]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The array's text: psycopg writes a list in Python, element by element.
            cursor.execute(_PRACTITIONERS_SQL, ["{" + ",".join(map(str, ids)) + "}"])
            return [tuple(row) for row in cursor.fetchall()]
    return [
        (pk, str(public_id), *middle, str(department_public_id), department_name)
        for pk, public_id, *middle, department_public_id, department_name in (
            Practitioner.objects.filter(pk__in=ids)
            .order_by()
            .values_list(
                "pk",
                "public_id",
                "time_zone",
                "user_id",
                "user__full_name",
                "user__email",
                "user__staff_profile__title",
                "department__public_id",
                "department__name",
            )
        )
    ]


def appointment_get(*, user: User, public_id: uuid.UUID | str) -> Appointment | None:
    """One appointment if the user may see it, its read audited; None otherwise (a 404, never
    a 403, and the refusal audited by the request's AccessAuditMiddleware)."""
    try:
        appointment = appointments_visible_to(user=user).filter(public_id=public_id).first()
    except (ValueError, TypeError):
        return None
    if appointment is not None:
        viewed(patients=[appointment.patient_id], target=appointment, actor=user)
    return appointment


class ListFilters(NamedTuple):
    """What the API's list filters name, resolved (days as instants, ``me`` as the user's
    schedule): rendered by both forms of the list, like ``ListScope``."""

    when: str = ""
    status: str = ""
    practitioner: str | None = None  # a practitioner's public id (not "me")
    patient: uuid.UUID | None = None
    starts_from: datetime.datetime | None = None
    starts_before: datetime.datetime | None = None
    updated_since: datetime.datetime | None = None


def _list_of(
    *,
    user: User,
    now: datetime.datetime,
    when: str = "",
    status: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    practitioner: str | None = None,
    patient: uuid.UUID | None = None,
    updated_since: datetime.datetime | None = None,
) -> tuple[ListScope | None, ListFilters]:
    """What the API's list shows: the appointments the user may see (``list_scope``),
    narrowed by the filters (resolved here).

    ``when``: upcoming or past (by their end). ``date_from``/``date_to``: the days they start
    on, inclusive, in the practitioner's time zone when one practitioner is asked for, else
    the hospital's (TIME_ZONE). ``practitioner``: a practitioner's public id, or ``"me"`` (the
    user's own schedule; nothing for someone who is not a practitioner). ``patient``: a
    patient's public id. ``updated_since``: changed at or after that time. Filters only narrow
    what ``appointments_visible_to`` allows. The rows also carry ``<instant>_text`` for each
    of ``LISTED_INSTANTS`` (what ``appointments_listed`` renders)."""
    starts_from = starts_before = None
    if date_from or date_to:
        zone = _days_zone(user=user, practitioner=practitioner)
        if date_from:
            starts_from = datetime.datetime.combine(date_from, datetime.time.min, zone)
        if date_to:
            day_after = date_to + datetime.timedelta(days=1)
            starts_before = datetime.datetime.combine(day_after, datetime.time.min, zone)
    filters = ListFilters(
        when=when,
        status=status,
        practitioner=practitioner if practitioner and practitioner != "me" else None,
        patient=patient,
        starts_from=starts_from,
        starts_before=starts_before,
        updated_since=updated_since,
    )
    return list_scope(user=user, now=now, own_schedule=practitioner == "me"), filters


def _filters_q(filters: ListFilters, now: datetime.datetime) -> Q:
    # One filter() for all: each call copies the query.
    wanted = Q()
    if filters.when == "upcoming":
        # And an exact bound on the start (none lasts longer than the longest), so the list
        # walks from there in its order rather than through every past appointment first.
        wanted &= Q(end__gte=now, start__gte=_started_since(now))
    elif filters.when == "past":
        # An appointment starts before it ends (a constraint): the walk stops at now.
        wanted &= Q(end__lt=now, start__lt=now)
    if filters.status:
        wanted &= Q(status=filters.status)
    if filters.practitioner:
        wanted &= Q(practitioner__public_id=filters.practitioner)
    if filters.patient:
        wanted &= Q(patient__public_id=filters.patient)
    if filters.starts_from:
        wanted &= Q(start__gte=filters.starts_from)
    if filters.starts_before:
        wanted &= Q(start__lt=filters.starts_before)
    if filters.updated_since:
        wanted &= Q(updated_at__gte=filters.updated_since)
    return wanted


def appointment_list(
    *, user: User, now: datetime.datetime, **filters: Any
) -> QuerySet[Appointment]:
    """The API's list (``_list_of`` says what the filters are) in the ORM's form, on every
    database; ``appointment_list_rows`` is what the API pages."""
    return _list_queryset(*_list_of(user=user, now=now, **filters), now)


def _list_queryset(
    scope: ListScope | None, filters: ListFilters, now: datetime.datetime
) -> QuerySet[Appointment]:
    base = Appointment.objects.select_related(*_SHOWN_WITH).annotate(**_instants_as_text())
    if scope is None:
        return base.none()
    wanted = _scope_q(scope) & _filters_q(filters, now)
    return base.filter(wanted) if wanted else base


def appointment_list_rows(
    *,
    user: User,
    now: datetime.datetime,
    columns: Sequence[str],
    **filters: Any,
) -> QuerySet[Any] | _ListRows:
    """``appointment_list``'s rows as dicts of ``columns`` (``LISTED_COLUMNS``), for a cursor
    page: what DRF's CursorPagination asks of a queryset (``order_by``, ``filter`` on the
    position, a slice). On PostgreSQL in plain SQL (``_ListRows``): building and compiling
    the ORM's query was ~0.9 ms of a ~4 ms request (its throughput +25-50% without it,
    measured); tests page through both forms and compare them row by row."""
    scope, resolved = _list_of(user=user, now=now, **filters)
    if connection.vendor == "postgresql" and tuple(columns) == _LISTED_SQL_COLUMNS:
        return _ListRows(scope, resolved, now)
    rows: QuerySet[Any] = _list_queryset(scope, resolved, now).values(*columns)
    return rows


# The instants the list shows but does not order by, as ``<name>_text``. On PostgreSQL,
# written by the database as the API writes them (ISO 8601 in UTC, "Z", the microseconds
# always; ``appointments_listed`` trims a zero fraction): read as datetimes, each was parsed
# by Django's loader in Python, ~60% of reading a page's rows (0.67 -> 0.25 ms, measured).
# Elsewhere the datetimes themselves.
LISTED_INSTANTS = ("end", "hold_expires_at", "created_at", "updated_at")


_UTC_TEXT = """to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


class _UtcText(Func):
    """An instant as ISO 8601 text in UTC, with its microseconds (PostgreSQL)."""

    template = _UTC_TEXT % "%(expressions)s"
    output_field = CharField()


def _instants_as_text() -> dict[str, Func | F]:
    if connection.vendor == "postgresql":
        return {f"{name}_text": _UtcText(F(name)) for name in LISTED_INSTANTS}
    return {f"{name}_text": F(name) for name in LISTED_INSTANTS}


# ``LISTED_COLUMNS`` (appointments.serializers.bookings) as PostgreSQL's page reads them.
_LISTED_SQL = {
    "public_id": "a.public_id",
    "patient_id": "a.patient_id",
    "practitioner_id": "a.practitioner_id",
    "appointment_type_id": "a.appointment_type_id",
    "start": "a.start",
    "status": "a.status",
    "reason": "a.reason",
    "cancellation_reason": "a.cancellation_reason",
    "visit_note": "a.visit_note",
    "channel": "a.channel",
    "end_text": _UTC_TEXT % 'a."end"',
    "hold_expires_at_text": _UTC_TEXT % 'a."hold_expires_at"',
    "created_at_text": _UTC_TEXT % 'a."created_at"',
    "updated_at_text": _UTC_TEXT % 'a."updated_at"',
    "patient__public_id": "u.public_id",
    "patient__full_name": "u.full_name",
    "patient__email": "u.email",
    "appointment_type__public_id": "t.public_id",
    "appointment_type__name": "t.name",
}
_LISTED_SQL_COLUMNS = tuple(_LISTED_SQL)
_LISTED_SELECT = ", ".join(f'{expression} AS "{name}"' for name, expression in _LISTED_SQL.items())
_LIST_SELECT = (
    f"SELECT {_LISTED_SELECT}"  # noqa: S608 - the columns and tables above, no input
    " FROM appointments_appointment a JOIN accounts_user u ON u.id = a.patient_id"
    " JOIN appointments_appointmenttype t ON t.id = a.appointment_type_id"
)
_LONGEST = (
    '(SELECT "end" - "start" FROM appointments_appointment ORDER BY "end" - "start" DESC LIMIT 1)'
)
# DRF's CursorPagination orders by the list's ordering or its reverse.
_LIST_ORDER: dict[tuple[str, ...], str] = {
    ("start", "pk"): "a.start, a.id",
    ("-start", "-pk"): "a.start DESC, a.id DESC",
}
_START = Appointment._meta.get_field("start")


class _ListRows:
    """``appointment_list``'s rows on PostgreSQL, in one statement of plain SQL rendered from
    the same ``ListScope`` and ``ListFilters`` as the ORM's form: what a cursor page asks
    (``order_by`` in the list's ordering or its reverse, ``filter`` on ``start`` after or
    before the cursor's position, a slice) and nothing else."""

    def __init__(
        self,
        scope: ListScope | None,
        filters: ListFilters,
        now: datetime.datetime,
        order: str = _LIST_ORDER["start", "pk"],
        position: tuple[str, datetime.datetime] | None = None,
    ) -> None:
        self.scope, self.filters, self.now = scope, filters, now
        self.order, self.position = order, position

    def order_by(self, *fields: str) -> _ListRows:
        return _ListRows(self.scope, self.filters, self.now, _LIST_ORDER[fields], self.position)

    def filter(self, **conditions: Any) -> _ListRows:
        ((name, value),) = conditions.items()
        operator = {"start__gt": ">", "start__lt": "<"}[name]
        # As the ORM prepares it: a malformed cursor position is a ValidationError (a 400).
        position = (operator, _START.get_prep_value(value))
        return _ListRows(self.scope, self.filters, self.now, self.order, position)

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        offset, stop = window.start or 0, window.stop
        if self.scope is None or stop is None or stop <= offset:
            return []
        where, params = self._where(self.scope)
        sql = f"{_LIST_SELECT} WHERE {where} ORDER BY {self.order} LIMIT %s OFFSET %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, stop - offset, offset])
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _where(self, scope: ListScope) -> tuple[str, list[Any]]:
        filters, now = self.filters, self.now
        conditions: list[str] = []
        params: list[Any] = []
        if scope.schedule_of is not None:
            conditions.append(
                "a.practitioner_id = (SELECT p.id FROM appointments_practitioner p"
                " WHERE p.user_id = %s LIMIT 1)"
            )
            params.append(scope.schedule_of)
        if scope.patient is not None:
            conditions.append("a.patient_id = %s")
            params.append(scope.patient)
        visible: list[str] = []
        if scope.in_care:
            visible.append("a.patient_id = ANY(%s::bigint[])")
            params.append(scope.in_care)
        if scope.practitioner is not None:
            visible.append("a.practitioner_id = %s")
            params.append(scope.practitioner)
        if visible:
            conditions.append(f"({' OR '.join(visible)})")
        if filters.when == "upcoming":
            conditions.append(f'a."end" >= %s AND a.start >= %s - {_LONGEST}')
            params += [now, now]
        elif filters.when == "past":
            conditions.append('a."end" < %s AND a.start < %s')
            params += [now, now]
        if filters.status:
            conditions.append("a.status = %s")
            params.append(filters.status)
        if filters.practitioner:
            conditions.append(
                "a.practitioner_id IN (SELECT p.id FROM appointments_practitioner p"
                " WHERE p.public_id = %s)"
            )
            params.append(uuid.UUID(filters.practitioner))
        if filters.patient:
            conditions.append("u.public_id = %s")
            params.append(filters.patient)
        if filters.starts_from:
            conditions.append("a.start >= %s")
            params.append(filters.starts_from)
        if filters.starts_before:
            conditions.append("a.start < %s")
            params.append(filters.starts_before)
        if filters.updated_since:
            conditions.append("a.updated_at >= %s")
            params.append(filters.updated_since)
        if self.position is not None:
            operator, start = self.position
            conditions.append(f"a.start {operator} %s")
            params.append(start)
        return " AND ".join(conditions) or "TRUE", params


class _MinusTheLongest(Func):
    """An instant minus the longest appointment's length: one lookup in
    appointments_length_idx (PostgreSQL)."""

    template = (
        '%(expressions)s - (SELECT "end" - "start" FROM appointments_appointment '
        'ORDER BY "end" - "start" DESC LIMIT 1)'
    )
    output_field = DateTimeField()


def _started_since(
    now: datetime.datetime,
) -> _MinusTheLongest | ExpressionWrapper[CombinedExpression]:
    """The earliest start an appointment not yet ended at ``now`` can have: ``now`` minus
    the longest appointment's length. Written out on PostgreSQL (the ORM's subquery cost
    ~0.2 ms to build)."""
    if connection.vendor == "postgresql":
        return _MinusTheLongest(Value(now, output_field=DateTimeField()))
    longest = (
        Appointment.objects.annotate(
            length=ExpressionWrapper(F("end") - F("start"), output_field=DurationField())
        )
        .order_by("-length")
        .values("length")[:1]
    )
    return ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - Subquery(longest),
        output_field=DateTimeField(),
    )


def _days_zone(*, user: User, practitioner: str | None) -> datetime.tzinfo:
    """The zone the list's days are in: the practitioner's when one is asked for ("me": the
    user's own, if they are one), else the hospital's."""
    if practitioner == "me":
        chosen = Practitioner.objects.filter(user=user)
    elif practitioner:
        chosen = Practitioner.objects.filter(public_id=practitioner)
    else:
        return timezone.get_default_timezone()
    # Unordered: the default order (by name) would join the users for one row.
    name = chosen.order_by().values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(name) if name else timezone.get_default_timezone()


class PatientAppointments(NamedTuple):
    """A patient's appointments page."""

    upcoming: QuerySet[Appointment]
    past: QuerySet[Appointment]
    cancelled: QuerySet[Appointment]
    offers: QuerySet[Appointment]


def patient_appointments(*, user: User, now: datetime.datetime) -> PatientAppointments:
    """Upcoming, the last 50 past ones, upcoming cancelled ones, and times held for the patient
    from the waitlist."""
    visible = appointments_visible_to(user=user)
    settled = visible.exclude(status=Status.HELD)
    if not user.is_staff_member:  # a patient's own list (staff are sent to their schedule)
        viewed(patients=[user.pk], target=AuditTarget("appointments.own_list"), actor=user)
    return PatientAppointments(
        upcoming=settled.filter(end__gte=now).exclude(status=Status.CANCELLED),
        past=settled.filter(end__lt=now).order_by("-start")[:50],
        cancelled=settled.filter(end__gte=now, status=Status.CANCELLED),
        offers=visible.filter(status=Status.HELD),
    )


DEFAULT_PREPARATION = _("Bring photo ID and a list of the medicines you take.")


def next_appointment_of(*, user: User, now: datetime.datetime) -> Appointment | None:
    """The patient's next appointment that is going ahead (booked, checked in, under way),
    with what its card shows: type, clinician, department (where, how to get there). One
    query."""
    return (
        appointments_visible_to(user=user)
        .filter(
            patient=user,
            end__gte=now,
            status__in=(Status.BOOKED, Status.CHECKED_IN, Status.IN_PROGRESS),
        )
        .select_related(
            "appointment_type", "practitioner__user__staff_profile", "practitioner__department"
        )
        .order_by("start")
        .first()
    )


class ScheduleEntry(NamedTuple):
    """A row of a schedule: the appointment, or only the time it takes (``appointment`` is
    None) when the viewer may not see whose appointment it is."""

    start: datetime.datetime
    end: datetime.datetime
    practitioner: Practitioner
    appointment: Appointment | None


def schedule_visible_to(
    *,
    user: User,
    practitioners: QuerySet[Practitioner] | Sequence[Practitioner],
    start: datetime.datetime,
    end: datetime.datetime,
    now: datetime.datetime | None = None,
) -> list[ScheduleEntry]:
    """The schedules of these practitioners between two instants (not cancelled), as this
    user may see them: the appointments ``appointments_visible_to`` lets them see, and busy
    blocks for the rest (a doctor planning around a colleague learns when, not who or why).
    Nothing for those without schedules (``permissions.can_view_schedules``). One query."""
    if not permissions.can_view_schedules(user=user):
        return []
    visible = appointments_visible_to(user=user, now=now).filter(pk=OuterRef("pk"))
    booked = (
        Appointment.objects.filter(practitioner__in=practitioners, start__lt=end, end__gt=start)
        .exclude(status=Status.CANCELLED)
        .select_related(
            "patient__patient_profile", "appointment_type", "practitioner__user__staff_profile"
        )
        .annotate(shown=Exists(visible))
        .order_by("start")
    )
    entries = [
        ScheduleEntry(
            start=appointment.start,
            end=appointment.end,
            practitioner=appointment.practitioner,
            appointment=appointment if appointment.shown else None,
        )
        for appointment in booked
    ]
    viewed(
        patients=[entry.appointment.patient_id for entry in entries if entry.appointment],
        target=AuditTarget("appointments.schedule"),
        actor=user,
    )
    return entries


def appointments_in_feed_of(*, user: User, now: datetime.datetime) -> QuerySet[Appointment]:
    """A user's calendar feed: a patient's appointments; staff, their own schedule only."""
    appointments = appointments_visible_to(user=user).filter(end__gte=now - FEED_HISTORY)
    if user.is_staff_member:
        appointments = appointments.filter(practitioner__user=user)
    return appointments


def appointment_for_update(*, appointment: Appointment) -> Appointment:
    """The appointment again, its row locked until the service's transaction ends (only its
    own row: not the practitioner's, the patient's or the type's it is read with). Read with
    what its output names, so answering with it takes no further query."""
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related(*_SHOWN_WITH)
        .get(pk=appointment.pk)
    )


def same_type_on_the_day(
    *,
    patient: User,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    zone: datetime.tzinfo,
) -> list[Appointment]:
    """The patient's booked appointments of this type on the day ``start`` falls on (in
    ``zone``, the clinician's): the confirm page asks before a second one that day, which is
    more often a double tap than a need."""
    local_day = start.astimezone(zone).date()
    day_start = datetime.datetime.combine(local_day, datetime.time(0), tzinfo=zone)
    day_end = day_start + datetime.timedelta(days=1)
    return list(
        Appointment.objects.filter(
            patient=patient,
            appointment_type=appointment_type,
            status=Appointment.Status.BOOKED,
            start__gte=day_start,
            start__lt=day_end,
        )
        .select_related("practitioner__user__staff_profile")
        .order_by("start")
    )
