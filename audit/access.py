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

One row per patient per request and object (``records.viewed``): "who viewed my record" and
the compliance officer's search by patient read the patient column's index. The purpose is
the reader's role (treatment, operations, ...), or ``self`` for a patient's own record.
"""

from __future__ import annotations

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
    "outcome",
    "request_id",
    "ip_address",
    "user_agent",
    "details",
)
_Row = tuple[Any, ...]
_PATIENT = _COLUMNS.index("patient_id")
# The columns' types, for PostgreSQL (an INSERT ... SELECT does not type its parameters).
_POSTGRES_TYPES = (
    "timestamptz",
    "bigint",
    "text",
    "text",
    "text",
    "text",
    "bigint",
    "text",
    "text",
    "inet",
    "text",
    "jsonb",
)
# SQLite (development) takes a VALUES list; under its limit of variables per statement.
_ROWS_PER_STATEMENT = 500


@dataclass
class _Reads:
    request: HttpRequest | None
    rows: list[_Row] = field(default_factory=list)
    seen: set[tuple[int | None, int, str, str]] = field(default_factory=set)


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


def viewed(
    *,
    patients: Iterable[int | AbstractBaseUser | None],
    target: models.Model | AuditTarget,
    request: HttpRequest | None = None,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    purpose: str = "",
    fields: Iterable[str] = (),
) -> None:
    """Record that ``actor`` (default: the request's user) was shown the data of ``patients``
    (ids or users; None is skipped) through ``target``: an object (an appointment, a
    profile) or a list (``AuditTarget("appointments.schedule")``). ``fields``: which kinds of
    data beyond the object itself (``["date_of_birth", "record_number"]``), never values."""
    reads = _current.get()
    if request is None and reads is not None:
        request = reads.request
    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    actor_id = actor.pk if actor is not None else None
    role = str(getattr(actor, "audit_role", "")) if actor is not None else ""
    target_type, target_id = describe_target(target)
    # What every row of this call shares, worked out once (a list page shows fifty patients).
    surface = surface_of(request)
    role_purpose = purpose or PURPOSES.get(role, role)
    shown = sorted(fields)
    shared = (
        timezone.now(),
        actor_id,
        role,
        VIEWED,
        target_type,
        target_id,
    )
    after = (
        AuditEvent.Outcome.SUCCESS.value,
        getattr(request, "request_id", None) or current_request_id(),
        client_ip(request) if request is not None else None,
        user_agent(request) if request is not None else "",
    )
    rows: list[_Row] = []
    for patient in patients:
        patient_id = patient.pk if isinstance(patient, AbstractBaseUser) else patient
        if patient_id is None:
            continue
        key = (actor_id, patient_id, target_type, target_id)
        if reads is not None:
            if key in reads.seen:
                continue
            reads.seen.add(key)
        details: dict[str, Any] = {
            "surface": surface,
            "purpose": purpose or ("self" if patient_id == actor_id else role_purpose),
        }
        if shown:
            details["fields"] = shown
        rows.append((*shared, patient_id, *after, details))
    if reads is not None:
        reads.rows.extend(rows)
    elif rows:
        _insert(rows)


def _insert(rows: list[_Row]) -> None:
    """The rows in one INSERT. On PostgreSQL the patients go as an array (``unnest``): the
    statement's text is the same for one row or a hundred, so the driver parses it once (a
    VALUES list of fifty rows has 600 placeholders, which psycopg split anew on every call:
    ~6 ms, measured) and the ORM prepares nothing (bulk_create: ~0.1 ms a row)."""
    connection = connections[router.db_for_write(AuditEvent)]
    ops = connection.ops
    table = ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(ops.quote_name(column) for column in _COLUMNS)
    details = [json.dumps(row[-1], separators=(",", ":")) for row in rows]
    if connection.vendor == "postgresql":
        # The rows of one call differ only in the patient (a list's fifty): one SELECT over
        # their ids each, the rest sent once. Arrays of text would be escaped element by
        # element by the driver; of numbers, not.
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for row, detail in zip(rows, details, strict=True):
            shared = (*row[:_PATIENT], *row[_PATIENT + 1 : -1], detail)
            groups.setdefault(shared, []).append(row[_PATIENT])
        typed = [f"%s::{cast}" for cast in _POSTGRES_TYPES]
        typed[_PATIENT] = "patient"
        select = f"SELECT {', '.join(typed)} FROM unnest(%s::bigint[]) AS patient"  # noqa: S608 - constants
        sql = f"INSERT INTO {table} ({columns}) " + " UNION ALL ".join([select] * len(groups))
        values: list[Any] = []
        for shared, patients in groups.items():
            values += [*shared, patients]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
        return
    placeholder = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    with connection.cursor() as cursor:
        for first in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[first : first + _ROWS_PER_STATEMENT]
            flat: list[Any] = []
            for row, detail in zip(chunk, details[first:], strict=False):
                occurred_at, *middle, ip_address, agent, _details = row
                flat += [
                    ops.adapt_datetimefield_value(occurred_at),
                    *middle,
                    ops.adapt_ipaddressfield_value(ip_address),
                    agent,
                    detail,
                ]
            sql = f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))}"  # noqa: S608 - names from the model
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
        AuditEvent.Outcome.DENIED.value,
        getattr(request, "request_id", None) or current_request_id(),
        client_ip(request),
        user_agent(request),
        details,
    )


def _write(reads: _Reads, request: HttpRequest, response: HttpResponseBase) -> None:
    # Reads fail closed: an error here is raised, and becomes the response.
    if reads.rows:
        _insert(reads.rows)
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
