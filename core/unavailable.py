"""When the database cannot be reached: how to recognise it and what to tell the caller.

A database that is down, restarting or out of pooled connections is a temporary condition,
not a bug: the answer is 503 with ``Retry-After`` (a page, or problem details with the code
``SERVICE_UNAVAILABLE``), never a 500 and never a page that needs the database to render.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse

from core.errors import problem_response

SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
# Seconds a client should wait before trying again: about a pool timeout.
RETRY_AFTER_SECONDS = 5
MESSAGE = "The service is briefly unavailable. Nothing was changed; please try again in a moment."


def is_database_unavailable(error: BaseException | None) -> bool:
    """True for a database that cannot be reached or used right now: connection refused or
    lost, a connection attempt or the pool timing out (psycopg_pool's ``PoolTimeout`` arrives
    as Django's ``OperationalError``), a connection closed under us (``InterfaceError``)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__
    return False


def database_unavailable_problem() -> JsonResponse:
    """The API's answer: problem details ``SERVICE_UNAVAILABLE``, 503, ``Retry-After``."""
    response = problem_response(status=503, code=SERVICE_UNAVAILABLE, detail=MESSAGE)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
