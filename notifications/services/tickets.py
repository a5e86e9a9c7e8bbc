"""Socket tickets: how a mobile app opens /ws/notifications/ without putting its bearer token
in a URL (URLs end up in proxy and server logs).

The app asks the API for a ticket with its bearer token (POST /api/v1/notifications/socket-
ticket) and connects to ``/ws/notifications/?ticket=...`` within ``TICKET_SECONDS``. A ticket
is 32 random bytes, kept in Django's cache (Redis in production, shared by the web and the
WebSocket processes) under its digest, and works once: redeeming deletes it, and only the
redeemer whose delete removed the key gets the user.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from django.core.cache import cache

from accounts.models import User

# Where the notifications consumer listens (hospital/routing.py).
SOCKET_PATH = "/ws/notifications/"
# Long enough to open a connection on a slow mobile network, short enough that a ticket seen
# in a log is useless.
TICKET_SECONDS = 30
_TICKET_BYTES = 32
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
_TICKET_FORM = re.compile(r"[A-Za-z0-9_-]{43}")


def _cache_key(ticket: str) -> str:
    # The digest, not the ticket: the cache's keys are visible to whoever monitors Redis.
    return "notifications:socket-ticket:" + hashlib.sha256(ticket.encode()).hexdigest()


def socket_ticket_issue(*, user: User) -> str:
    """A new single-use ticket that opens one WebSocket as ``user`` for ``TICKET_SECONDS``."""
    ticket = secrets.token_urlsafe(_TICKET_BYTES)
    cache.set(_cache_key(ticket), user.pk, timeout=TICKET_SECONDS)
    return ticket


def socket_ticket_redeem(*, ticket: str) -> int | None:
    """The id of the user a ticket was issued to, once; None for a ticket that is malformed,
    unknown, expired or redeemed already (also by a concurrent redeemer that got there first:
    ``cache.delete`` says whether this call removed the key)."""
    if not _TICKET_FORM.fullmatch(ticket):
        return None
    key = _cache_key(ticket)
    user_id = cache.get(key)
    if not isinstance(user_id, int) or not cache.delete(key):
        return None
    return user_id
