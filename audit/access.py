"""Reads of medical data are audited: who, whose record, what, when, from where and why.

Whatever returns a patient's data (a page, an API operation, the admin, a feed, an export)
calls :func:`viewed` for the patients it shows. Inside a request the rows are buffered and
written together at its end, in one statement, before the response leaves
(:class:`AccessAuditMiddleware`): a schedule of fifty patients costs one INSERT, not fifty;
and if they cannot be written the response is not sent (the error answers instead), so no
read goes unrecorded. Outside a request (a task, a command) each call writes at once.

The same middleware records refusals: a 403, a 404 to a signed-in user (another patient's
appointment is a 404, as an unknown one is) and a 429, with the route and the object asked
for, never the query string.

One row per object or list shown per request (``records.viewed``): an appointment's row
names its patient (``patient``), a list's row every patient it showed (``patients``, one
row for a schedule of fifty: fifty rows cost the list 18% of its time). "Who viewed my
record" and the compliance officer's search by patient read both columns' indexes
(``AuditEvent.objects.concerning``). The purpose is the reader's role (treatment,
operations, ...), or ``self`` for a patient's own record.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connections, models, router
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import AuditTarget, describe_target
from core.caller import client_ip, user_agent
from core.request_id import current_request_id

logger = logging.getLogger(__name__)

VIEWED = "records.viewed"
REFUSED = "records.refused"
# The reader's role says why they read (HIPAA's treatment, payment, operations).
PURPOSES = {
    "doctor": "treatment",
    "nurse": "treatment",
    "receptionist": "operations",
    "admin": "administration",
    "compliance_officer": "compliance",
    "patient": "self",
}
REFUSED_STATUSES = frozenset({403, 404, 429})


# The columns a read's row fills, in the INSERT's order (the rest take their defaults).
_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "patient_id",
    "patients",
    "outcome",
    "request_id",
    "ip_address",
    "user_agent",
    "details",
)
_Row = tuple[Any, ...]
# The columns' types, for PostgreSQL (typed parameters: the statement means the same whatever
# the driver guesses for an empty list or a small number).
_POSTGRES_TYPES = (
    "timestamptz",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "bigint",
    "bigint[]",
    "text",
    "text",
    "inet",
    "text",
    "jsonb",
)
# SQLite (development) takes a VALUES list; under its limit of variables per statement.
_ROWS_PER_STATEMENT = 500


@dataclass(frozen=True)
class _Read:
    """What one row shares: everything but the patients (and when: the first sighting)."""

    actor_id: int | None
    role: str
    target_type: str
    target_id: str
    purpose: str
    fields: tuple[str, ...]
    surface: str


@dataclass
class _Reads:
    request: HttpRequest | None
    # One row per object or list shown, naming every patient it showed (in order of sighting).
    seen: dict[_Read, tuple[datetime.datetime, dict[int, None]]] = field(default_factory=dict)

    def rows(self) -> list[_Row]:
        after = _request_columns(self.request)
        return [
            _row(read, when, list(patients), after) for read, (when, patients) in self.seen.items()
        ]


_current: ContextVar[_Reads | None] = ContextVar("audit_reads", default=None)


def surface_of(request: HttpRequest | None) -> str:
    if request is None:
        return "task"
    path = request.path_info
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


def _request_columns(request: HttpRequest | None) -> tuple[str, str, str | None, str]:
    return (
        AuditEvent.Outcome.SUCCESS.value,
        getattr(request, "request_id", None) or current_request_id(),
        client_ip(request) if request is not None else None,
        user_agent(request) if request is not None else "",
    )


def _row(read: _Read, when: datetime.datetime, patients: list[int], after: tuple[Any, ...]) -> _Row:
    details: dict[str, Any] = {"surface": read.surface, "purpose": read.purpose}
    if read.fields:
        details["fields"] = list(read.fields)
    # One patient goes in the patient column (its index answers "who viewed my record"
    # directly); several in the patients array.
    alone = patients[0] if len(patients) == 1 else None
    named = sorted(patients) if len(patients) > 1 else None
    return (
        when,
        read.actor_id,
        read.role,
        VIEWED,
        read.target_type,
        read.target_id,
        alone,
        named,
        *after,
        details,
    )


def viewed(
    *,
    patients: Iterable[int | AbstractBaseUser | None],
    target: models.Model | AuditTarget,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    purpose: str = "",
    fields: Iterable[str] = (),
    surface: str = "",
) -> None:
    """Record that ``actor`` (default: the request's user) was shown the data of ``patients``
    (ids or users; None is skipped) through ``target``: an object (an appointment, a
    profile) or a list (``AuditTarget("appointments.schedule")``). ``fields``: which kinds of
    data beyond the object itself (``["date_of_birth", "record_number"]``), never values.

    One row per object or list (and purpose) per request, naming each patient it showed
    once, however many times it was called.

    ``surface`` names a channel that is not the request (``email``, ``sms``, ``socket``): the
    row is written at once, without the request's address (a message sent by a task that
    runs inside someone else's request, as eager Celery does, is not their read)."""
    reads = None if surface else _current.get()
    if request is None and reads is not None:
        request = reads.request
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    actor_id = actor.pk if actor is not None else None
    role = str(getattr(actor, "audit_role", "")) if actor is not None else ""
    target_type, target_id = describe_target(target)
    surface = surface or surface_of(request)
    role_purpose = purpose or PURPOSES.get(role, role)
    shown = tuple(sorted(fields))
    batch = reads if reads is not None else _Reads(request)
    now = timezone.now()
    # The patients seen, by purpose: one's own record is read for oneself, whatever one's role.
    named: dict[str, dict[int, None]] = {}
    for patient in patients:
        patient_id = patient.pk if isinstance(patient, AbstractBaseUser) else patient
        if patient_id is None:
            continue
        why = purpose or ("self" if patient_id == actor_id else role_purpose)
        named.setdefault(why, {})[patient_id] = None
    for why, ids in named.items():
        read = _Read(actor_id, role, target_type, target_id, why, shown, surface)
        entry = batch.seen.get(read)
        if entry is None:
            entry = batch.seen[read] = (now, {})
        entry[1].update(ids)
    if reads is None and batch.seen:
        _insert(batch.rows())


@functools.cache
def _statement(vendor: str, table: str, columns: str, rows: int) -> str:
    if vendor == "postgresql":
        placeholder = "(" + ", ".join(f"%s::{cast}" for cast in _POSTGRES_TYPES) + ")"
    else:
        placeholder = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    return f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * rows)}"  # noqa: S608 - names from the model


def _insert(rows: list[_Row]) -> None:
    """The rows in one INSERT (a request's reads are a row or two: a list is one row). The
    statement's text is made once per number of rows; the patients go as one array literal
    (``{1,2,3}``), which the driver quotes as a single string: its array adapter, element by
    element, took a third of a 50-patient row's cost (measured)."""
    connection = connections[router.db_for_write(AuditEvent)]
    ops = connection.ops
    postgres = connection.vendor == "postgresql"
    table = ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(ops.quote_name(column) for column in _COLUMNS)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[first : first + _ROWS_PER_STATEMENT]
            flat: list[Any] = []
            for row in chunk:
                occurred_at, *middle, patients, outcome, request_id, ip, agent, details = row
                if patients is not None:
                    listed = ",".join(str(int(patient)) for patient in patients)
                    patients = f"{{{listed}}}" if postgres else f"[{listed}]"
                flat += [
                    occurred_at if postgres else ops.adapt_datetimefield_value(occurred_at),
                    *middle,
                    patients,
                    outcome,
                    request_id,
                    ip if postgres else ops.adapt_ipaddressfield_value(ip),
                    agent,
                    json.dumps(details, separators=(",", ":")),
                ]
            sql = _statement(connection.vendor, table, columns, len(chunk))
            cursor.execute(sql, flat)


def _refusal(request: HttpRequest, response: HttpResponseBase) -> _Row | None:
    status = response.status_code
    if status not in REFUSED_STATUSES:
        return None
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    if status == 404 and not signed_in:
        return None
    match = getattr(request, "resolver_match", None)
    # The route's pattern, not the path (no query string), and the object asked for: the
    # route's first argument (public ids, never medical data).
    route = match.route if match is not None else ""
    asked = next((str(value) for value in (match.kwargs.values() if match else ())), "")
    details: dict[str, Any] = {
        "status": status,
        "method": request.method or "",
        "surface": surface_of(request),
        "route": route[:200],
    }
    return (
        timezone.now(),
        user.pk if signed_in and user is not None else None,
        str(getattr(user, "audit_role", "")) if signed_in else "",
        REFUSED,
        "route",
        asked[:64],
        None,
        None,
        AuditEvent.Outcome.DENIED.value,
        getattr(request, "request_id", None) or current_request_id(),
        client_ip(request),
        user_agent(request),
        details,
    )


def _write(reads: _Reads, request: HttpRequest, response: HttpResponseBase) -> None:
    # Reads fail closed: an error here is raised, and becomes the response.
    if reads.seen:
        _insert(reads.rows())
    # A refusal showed nothing: one that cannot be recorded (the database unreachable) is
    # logged, and the refusal's own answer stands.
    try:
        refusal = _refusal(request, response)
        if refusal is not None:
            _insert([refusal])
    except DatabaseError:
        logger.warning(
            "refusal not audited: the database is unavailable",
            extra={"event": "audit.refusal_unrecorded", "status": response.status_code},
            exc_info=True,
        )


class AccessAuditMiddleware:
    """Opens the request's buffer of reads and writes it (and a refusal) before the response
    leaves; a failure to write is raised, so the response becomes the error's (503 while the
    database is unreachable) and nothing read goes out unrecorded."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        reads = _Reads(request)
        token = _current.set(reads)
        try:
            response = self.get_response(request)
            assert isinstance(response, HttpResponseBase)  # noqa: S101 - sync chain
        finally:
            _current.reset(token)
        _write(reads, request, response)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        reads = _Reads(request)
        token = _current.set(reads)
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        finally:
            _current.reset(token)
        await sync_to_async(_write)(reads, request, response)
        return response
