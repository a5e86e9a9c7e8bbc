"""When the database (or the cache) cannot be reached: how to recognise it and what to tell
the caller.

A database that is down, restarting or out of pooled connections is a temporary condition,
not a bug: the answer is 503 with ``Retry-After`` (a page, or problem details with the code
``SERVICE_UNAVAILABLE``), never a 500 and never a page that needs the database to render.
So is a server at capacity: a request that waited its bound for a pooled connection (the
pool's timeout, DATABASE_POOL_TIMEOUT) or for another scarce resource (``TemporarilyUnavailable``,
e.g. a password-hashing slot) answers the same way, and so does a request that needs Redis
while it cannot be reached (the sign-in rate limits count there and refuse to go uncounted;
what can do without the cache does, and never gets here).
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from core.errors import problem_response

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
# Seconds a client should wait before trying again: about a pool timeout.
RETRY_AFTER_SECONDS = 5
MESSAGE = _(
    "The service is briefly unavailable. Nothing was changed; please try again in a moment."
)


class TemporarilyUnavailable(Exception):
    """Raised when a request cannot get a scarce resource within its bound: it answers 503
    with Retry-After like an unreachable database."""


def is_database_unavailable(error: BaseException | None) -> bool:
    """True for a database that cannot be reached or used right now: connection refused or
    lost, a connection attempt or the pool timing out (psycopg_pool's ``PoolTimeout``, raised
    by ``getconn()`` when Django opens the request's connection, arrives as Django's
    ``OperationalError`` through ``wrap_database_errors``, the original as its ``__cause__``),
    a connection closed under us (``InterfaceError``); ``TemporarilyUnavailable``; and Redis
    refusing or not answering a connection (not its other errors: those are bugs)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(
            error,
            OperationalError
            | InterfaceError
            | TemporarilyUnavailable
            | RedisConnectionError
            | RedisTimeoutError,
        ):
            return True
        seen.add(id(error))
        error = error.__cause__
    return False


def database_unavailable_problem() -> JsonResponse:
    """The API's answer: problem details ``SERVICE_UNAVAILABLE``, 503, ``Retry-After``."""
    response = problem_response(status=503, code=SERVICE_UNAVAILABLE, detail=str(MESSAGE))
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Its callers log one warning line; Django's log_response would add an ERROR line per
    # request ("Service Unavailable") under load, when nothing is broken.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
