"""Readiness checks for /readyz: database, cache and (when configured) the broker.

Each check is short and bounded by a timeout, and reports only its name, result,
duration and a short error class, never connection strings or secrets.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    duration_ms: float
    backend: str
    error: str = ""
    pool: dict[str, int] | None = None

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ok": self.ok,
            "backend": self.backend,
            "duration_ms": round(self.duration_ms, 1),
        }
        if self.error:
            result["error"] = self.error
        if self.pool is not None:
            result["pool"] = self.pool
        return result


def _check_database() -> None:
    """A query through the pool, as requests make them: a wedged or exhausted pool is not
    ready. The connection goes back to the pool at once, whatever the server does at the end
    of the request (threads of ASGI servers and WSGI servers alike)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        if not connection.in_atomic_block:  # a test's transaction keeps its connection
            connection.close()


def _pool_measures() -> dict[str, int] | None:
    """This process's connection pool: connections open (or being opened), idle in the pool,
    and requests waiting. After traffic stops, available equals size; a connection checked
    out and never returned shows as a gap that does not close."""
    pool = getattr(connection, "pool", None)
    if pool is None:
        return None
    stats = pool.get_stats()
    return {
        "size": int(stats["pool_size"]),
        "available": int(stats["pool_available"]),
        "waiting": int(stats["requests_waiting"]),
    }


def _check_cache() -> None:
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("cache did not return the value it was given")
    cache.delete(key)


def _check_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def _check_backlog() -> None:
    """Work triggered by changes is flowing: no outbox row or due delivery has waited longer
    than NOTIFICATIONS_BACKLOG_ALERT_SECONDS (the workers, the beat or the broker are away)."""
    from core.events import backlog_older_than
    from notifications.selectors import delivery_backlog_older_than

    seconds: int = settings.NOTIFICATIONS_BACKLOG_ALERT_SECONDS
    try:
        if backlog_older_than(seconds=seconds):
            raise BacklogTooOld("outbox")
        if delivery_backlog_older_than(seconds=seconds):
            raise BacklogTooOld("deliveries")
    finally:
        if not connection.in_atomic_block:
            connection.close()


class BacklogTooOld(RuntimeError):
    """Work waits longer than the threshold."""


def _run(name: str, backend: str, check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:
        logger.warning("readiness check %s failed: %s", name, type(error).__name__)
        return CheckResult(
            name=name,
            ok=False,
            duration_ms=(time.perf_counter() - started) * 1000,
            backend=backend,
            error=type(error).__name__,
        )
    return CheckResult(
        name=name, ok=True, duration_ms=(time.perf_counter() - started) * 1000, backend=backend
    )


def run_checks() -> list[CheckResult]:
    """Run every configured check; the order is stable for people reading the JSON."""
    database = _run("database", connection.vendor, _check_database)
    results = [
        replace(database, pool=_pool_measures()),
        _run("cache", str(settings.CACHES["default"]["BACKEND"]).rsplit(".", 1)[-1], _check_cache),
    ]
    if settings.CELERY_BROKER_URL:
        scheme = settings.CELERY_BROKER_URL.split(":", 1)[0]
        results.append(_run("broker", scheme, _check_broker))
        # Without a broker the work runs in-process: there is no backlog to fall behind.
        results.append(_run("backlog", connection.vendor, _check_backlog))
    return results
