"""The live notifications socket, ``/ws/notifications/`` (hospital/routing.py).

Who may open it:

- a browser, with its session cookie, when the pages would let that session in: the same
  middleware that decides it for every page (the session, the signed-in user with their
  second factor, automatic logoff, staff without a verified second factor kept out) runs on
  the handshake (``page_session_user``), so there is no second rule here;
- an app, with a single-use ticket from POST /api/v1/notifications/socket-ticket
  (``?ticket=...``, notifications.services.tickets). Access tokens never go in the URL: a
  query string with anything but one ``ticket`` is refused.

A connection with an ``Origin`` header (a browser) must come from one of the site's hosts
(the rule of Channels' AllowedHostsOriginValidator, which hospital/asgi.py also applies in
front of every socket); one without (an app) needs a ticket. A refused handshake is closed
before it is accepted, with 4401 (not signed in, or a ticket that does not work) or 4403 (a
foreign origin), and logged without the ticket.

Protocol (JSON text frames):

- server -> client: ``{"type": "hello", "unread_count": n}`` once connected;
  ``{"type": "notification", "notification": {...}}`` (notifications.services.push's
  payload); ``{"type": "unread_count", "unread_count": n}`` when messages were read
  elsewhere; ``{"type": "schedule.changed", "practitioner": id, "day": "YYYY-MM-DD"}`` for
  staff (notifications.live); ``{"type": "watching", "practitioners": [...]}``;
  ``{"type": "pong"}``; ``{"type": "error", "detail": "..."}``.
- client -> server: ``{"type": "ping"}``; ``{"type": "watch", "practitioners": [ids]}`` (the
  schedules a staff page shows).
- The server closes with 4401 when the session behind the socket has ended (checked on a
  ping, and before a message once a minute).
"""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.sessions.exceptions import SessionInterrupted
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from accounts.models import User
from appointments import permissions as appointment_permissions
from appointments.selectors.schedules import practitioner_of, practitioners_for
from audit.access import viewed
from audit.services import AuditTarget
from core.caller import client_ip
from notifications.live import RECEPTION_GROUP, schedule_group
from notifications.selectors import unread_count_of
from notifications.services.push import user_group
from notifications.services.tickets import socket_ticket_redeem

logger = logging.getLogger(__name__)

# Close codes (4000-4999: the application's own). Only a socket closed after it opened shows
# its code to a browser; a refused handshake is a failed connection (HTTP 403) there.
NOT_AUTHENTICATED = 4401
FOREIGN_ORIGIN = 4403

# How often an open socket re-checks that its session has not ended (sign-out elsewhere,
# revoked, password changed, account deactivated).
RECHECK_SECONDS = 60
MAX_MESSAGE_CHARS = 8192
MAX_WATCHED_SCHEDULES = 100

# The middleware that decides, for every page, whether a browser session is let in, in the
# order settings.MIDDLEWARE runs it (only those settings.MIDDLEWARE names).
_PAGE_ACCESS_MIDDLEWARE = frozenset(
    {
        "django.contrib.sessions.middleware.SessionMiddleware",
        "accounts.middleware.AuthenticationMiddleware",
        "accounts.middleware.SessionLifetimeMiddleware",
        "accounts.middleware.StaffMfaEnrolmentMiddleware",
    }
)


class Refused(Exception):
    """Why a handshake is refused (never with the ticket or the cookie in it)."""

    def __init__(self, reason: str, *, code: int = NOT_AUTHENTICATED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class Admission:
    """Who a socket is for, and what shows that they still may be there."""

    def __init__(self, *, user: User, via: str, session_key: str | None) -> None:
        self.user = user
        self.via = via  # "session" or "ticket"
        self.session_key = session_key


# --- The handshake -------------------------------------------------------------------------


def _header(scope: Mapping[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin1")
    return None


def _handshake_request(scope: Mapping[str, Any]) -> HttpRequest:
    """The handshake as Django's request of a page at the socket's path (no query string:
    it may hold a ticket). Errors are asked for as JSON, as the API would get them."""
    http_scope = {**scope, "type": "http", "method": "GET", "query_string": b""}
    request = ASGIRequest(http_scope, io.BytesIO())
    request.META["HTTP_ACCEPT"] = "application/json"
    return request


def origin_allowed(origin: str) -> bool:
    """Channels' AllowedHostsOriginValidator's rule (settings.ALLOWED_HOSTS)."""
    return AllowedHostsOriginValidator(None).valid_origin(urlparse(origin))


def page_session_user(request: HttpRequest) -> User | None:
    """The user a page would be shown to with this request's session, or None: the request
    goes through the page middleware that decides it, with everything it does on the way
    (an idle session is ended, activity recorded, as a page load would)."""
    seen: dict[str, Any] = {}

    def reached(request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            seen["user"] = user
        return HttpResponse(status=204)

    handler: Callable[[HttpRequest], HttpResponse] = reached
    for path in reversed(settings.MIDDLEWARE):
        if path in _PAGE_ACCESS_MIDDLEWARE:
            handler = import_string(path)(handler)
    try:
        response = handler(request)
    except SessionInterrupted:
        return None
    user = seen.get("user")
    if response.status_code != 204 or user is None or not user.is_active:
        return None
    # ``request.user`` was the lazy user of the middleware; loading it put the user itself
    # on the request.
    return user if type(user) is User else User.objects.filter(pk=user.pk).first()


def _ticket_of(scope: Mapping[str, Any]) -> str | None:
    raw = bytes(scope.get("query_string", b"")).decode("latin1")
    if not raw:
        return None
    query = parse_qs(raw, keep_blank_values=True)
    if set(query) != {"ticket"} or len(query["ticket"]) != 1:
        # An access token (or anything else) in the URL: refused, so that no app learns to
        # send one there.
        raise Refused("a query string other than one ticket")
    return query["ticket"][0]


def admit(scope: Mapping[str, Any]) -> Admission:
    """Who the socket is for, or ``Refused``."""
    ticket = _ticket_of(scope)
    origin = _header(scope, b"origin")
    if origin is not None and not origin_allowed(origin):
        raise Refused("a foreign origin", code=FOREIGN_ORIGIN)
    if ticket is not None:
        user_id = socket_ticket_redeem(ticket=ticket)
        user = (
            User.objects.filter(pk=user_id, is_active=True).first() if user_id is not None else None
        )
        if user is None:
            raise Refused("an unknown, expired or used ticket")
        return Admission(user=user, via="ticket", session_key=None)
    if origin is None:
        # Not a browser: a cookie alone is not enough (its Origin could not be checked).
        raise Refused("no Origin and no ticket")
    request = _handshake_request(scope)
    user = page_session_user(request)
    if user is None:
        raise Refused("no live signed-in session")
    session = getattr(request, "session", None)
    return Admission(user=user, via="session", session_key=session.session_key if session else None)


def _refusal_logged(scope: Mapping[str, Any], refusal: Refused) -> None:
    try:
        address = client_ip(_handshake_request(scope))
    except Exception:  # a malformed scope is still refused
        address = None
    logger.warning(
        "Notifications socket refused (%s, close code %s) from %s",
        refusal.reason,
        refusal.code,
        address or "an unknown address",
    )


def _groups_of(user: User) -> list[str]:
    """The person's own group, and for staff the live groups of the pages they may open:
    their own schedule (clinicians), the reception's list (the front desk)."""
    groups = [user_group(user.pk)]
    if appointment_permissions.can_view_schedules(user=user):
        own = practitioner_of(user=user)
        if own is not None:
            groups.append(schedule_group(own.public_id))
    if appointment_permissions.can_open_reception(user=user):
        groups.append(RECEPTION_GROUP)
    return groups


def _schedules_visible(user: User, wanted: list[str]) -> list[str]:
    """Of the practitioners asked for, those whose schedules the schedule page would show
    this user (it lists ``practitioners_for()`` to those who ``can_view_schedules``)."""
    if not appointment_permissions.can_view_schedules(user=user):
        return []
    known = {
        str(public_id) for public_id in practitioners_for().values_list("public_id", flat=True)
    }
    return [public_id for public_id in dict.fromkeys(wanted) if public_id in known]


def _still_admitted(admission: Admission) -> bool:
    if not User.objects.filter(pk=admission.user.pk, is_active=True).exists():
        return False
    if admission.session_key is None:
        return admission.via == "ticket"
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    return bool(store.exists(admission.session_key))


def _pushed(user: User, notification_id: str, patient_id: int) -> None:
    viewed(
        patients=[patient_id],
        target=AuditTarget("notifications.notification", notification_id),
        actor=user,
        surface="socket",
    )


# --- The consumer -------------------------------------------------------------------------


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    """One person's live notifications (and, for staff, their schedule pages' reloads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.admission: Admission | None = None
        self.joined: set[str] = set()
        self.own_groups: set[str] = set()
        self.watched: set[str] = set()
        self.checked_at = 0.0

    async def connect(self) -> None:
        try:
            admission: Admission = await database_sync_to_async(admit)(self.scope)
        except Refused as refusal:
            _refusal_logged(self.scope, refusal)
            await self.close(code=refusal.code)
            return
        self.admission = admission
        groups, unread = await database_sync_to_async(self._opening)(admission.user)
        self.own_groups = set(groups)
        for group in groups:
            await self._join(group)
        self.checked_at = time.monotonic()
        await self.accept()
        await self.send_json({"type": "hello", "unread_count": unread})

    @staticmethod
    def _opening(user: User) -> tuple[list[str], int]:
        return _groups_of(user), unread_count_of(user=user)

    async def disconnect(self, code: int) -> None:
        for group in list(self.joined):
            await self.channel_layer.group_discard(group, self.channel_name)
        self.joined.clear()

    async def _join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.add(group)

    async def _still_here(self, *, now: bool = False) -> bool:
        """False (and the socket closed with 4401) once the session behind it has ended."""
        if self.admission is None:
            return False
        if not now and time.monotonic() - self.checked_at < RECHECK_SECONDS:
            return True
        self.checked_at = time.monotonic()
        if await database_sync_to_async(_still_admitted)(self.admission):
            return True
        await self.close(code=NOT_AUTHENTICATED)
        return False

    # --- From the client

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        content: object = None
        if text_data is not None and len(text_data) <= MAX_MESSAGE_CHARS:
            try:
                content = json.loads(text_data)
            except ValueError:
                content = None
        if not isinstance(content, dict):
            await self._error('Send JSON objects, e.g. {"type": "ping"}.')
            return
        await self.receive_json(content)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            if await self._still_here(now=True):
                await self.send_json({"type": "pong"})
        elif kind == "watch":
            await self._watch(content.get("practitioners"))
        else:
            await self._error('Only {"type": "ping"} and {"type": "watch"} are understood.')

    async def _watch(self, wanted: object) -> None:
        if not isinstance(wanted, list) or not all(isinstance(item, str) for item in wanted):
            await self._error('"practitioners" is a list of practitioner ids.')
            return
        if len(wanted) > MAX_WATCHED_SCHEDULES:
            await self._error(f"At most {MAX_WATCHED_SCHEDULES} practitioners.")
            return
        if self.admission is None or not await self._still_here():
            return
        visible: list[str] = await database_sync_to_async(_schedules_visible)(
            self.admission.user, wanted
        )
        groups = {schedule_group(public_id) for public_id in visible}
        for group in self.watched - groups - self.own_groups:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)
        for group in groups - self.joined:
            await self._join(group)
        self.watched = groups
        await self.send_json({"type": "watching", "practitioners": visible})

    async def _error(self, detail: str) -> None:
        await self.send_json({"type": "error", "detail": detail})

    # --- From the channel layer (notifications.services.push, notifications.live)

    async def notification_new(self, event: dict[str, Any]) -> None:
        if await self._still_here():
            patient = event.get("patient")
            if patient is not None and self.admission is not None:
                # Shown on this connection: a read of the patient's record, recorded before
                # it is sent (a failure to record closes the socket; the bell still has it).
                await database_sync_to_async(_pushed)(
                    self.admission.user, event["notification"]["id"], patient
                )
            await self.send_json({"type": "notification", "notification": event["notification"]})

    async def notification_read(self, event: dict[str, Any]) -> None:
        if await self._still_here():
            await self.send_json({"type": "unread_count", "unread_count": event["unread_count"]})

    async def schedule_changed(self, event: dict[str, Any]) -> None:
        if await self._still_here():
            await self.send_json(
                {
                    "type": "schedule.changed",
                    "practitioner": event["practitioner"],
                    "day": event["day"],
                }
            )
