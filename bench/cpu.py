"""CPU per request, in-process: one thread, time.thread_time() around a Django test Client
request, median of N after a warm-up, on the bench database (100,000 appointments) with the
bench Redis (cache and sessions). The database server's own time is not in these figures."""

from __future__ import annotations

import datetime
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Targets from issue 10 (ms of CPU per request).
TARGETS_MS = {
    "/healthz": 0.15,
    "/api/v1/account/me": 1.5,
    "appointments list (50 rows)": 5.0,
    "slot search, department, 7 days, uncached": 20.0,
    "slot search, department, 7 days, cached": 1.0,
    "booking page (department, 7 days)": 30.0,
    "my appointments page": 8.0,
}


@dataclass
class Endpoint:
    name: str
    path: str
    client: Any
    headers: dict[str, str]
    before_each: Callable[[], object] | None = None
    who: str = ""


def slot_cache_clear() -> int:
    """Forget the computed free slots (the slot cache's keys in the Django cache) and nothing
    else, so sessions and tokens stay cached as they would be. Returns the keys deleted."""
    from django.core.cache import cache

    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:  # not Redis: all or nothing
        cache.clear()
        return -1
    redis = client_of(None, write=True)
    prefix = cache.make_key("")  # "<KEY_PREFIX>:<version>:"
    keys = list(redis.scan_iter(match=f"{prefix}*slot*", count=1000))
    if keys:
        redis.delete(*keys)
    return len(keys)


def cache_lookups() -> dict[tuple[str, str], float]:
    """The application cache counters of this process (core.metrics), by (cache, result)."""
    try:
        from core.metrics import CACHE_LOOKUPS
    except ImportError:
        return {}
    counts: dict[tuple[str, str], float] = {}
    for metric in CACHE_LOOKUPS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                key = (sample.labels.get("cache", ""), sample.labels.get("result", ""))
                counts[key] = sample.value
    return counts


def _endpoints(users: dict[str, Any]) -> list[Endpoint]:
    from django.test import Client
    from django.utils import timezone

    from bench import credentials
    from bench.urls import CEILING_PATH

    appointment_type = users["appointment_type"]
    patient, doctor = users["patient"], users["doctor"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    week = f"date_from={tomorrow}&date_to={tomorrow + datetime.timedelta(days=6)}"
    slots = (
        f"/api/v1/slots?appointment_type={appointment_type.public_id}"
        f"&department={appointment_type.department.public_id}&{week}"
    )

    def bearer(user: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials.token_pair(user).access}"}

    anonymous = Client()
    patient_pages = credentials.session_client(patient)
    return [
        Endpoint("ceiling: SELECT 1 view, full middleware", CEILING_PATH, anonymous, {}),
        Endpoint("/healthz", "/healthz", anonymous, {}),
        Endpoint(
            "/api/v1/account/me",
            "/api/v1/account/me",
            Client(),
            bearer(patient),
            who="patient, bearer",
        ),
        Endpoint(
            "appointments list (50 rows)",
            "/api/v1/appointments",
            Client(),
            bearer(doctor),
            who="doctor, bearer",
        ),
        Endpoint(
            "slot search, department, 7 days, uncached",
            slots,
            Client(),
            bearer(patient),
            before_each=slot_cache_clear,
            who="patient, bearer; slot cache emptied before each",
        ),
        Endpoint(
            "slot search, department, 14 days, uncached",
            slots.replace(
                f"date_to={tomorrow + datetime.timedelta(days=6)}",
                f"date_to={tomorrow + datetime.timedelta(days=13)}",
            ),
            Client(),
            bearer(patient),
            before_each=slot_cache_clear,
            who="patient, bearer; slot cache emptied before each; the first page",
        ),
        Endpoint(
            "slot search, department, 7 days, cached",
            slots,
            Client(),
            bearer(patient),
            who="patient, bearer",
        ),
        Endpoint(
            "booking page (department, 7 days)",
            f"/appointments/book/?appointment_type={appointment_type.public_id}&date_from={tomorrow}",
            patient_pages,
            {},
            who="patient, session",
        ),
        Endpoint(
            "my appointments page", "/appointments/", patient_pages, {}, who="patient, session"
        ),
        Endpoint("home page", "/", patient_pages, {}, who="patient, session"),
    ]


def _measure(endpoint: Endpoint, *, iterations: int, warm_up: int) -> dict[str, Any]:
    from django.db import connection

    def get() -> Any:
        response = endpoint.client.get(endpoint.path, headers=endpoint.headers)
        if response.status_code != 200:
            raise RuntimeError(
                f"{endpoint.path}: {response.status_code} {response.content[:300]!r}"
            )
        return response

    for _ in range(warm_up):
        get()
    if endpoint.before_each:
        endpoint.before_each()
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # Counted around one request (Django empties its own query log at each request start).
    with connection.execute_wrapper(count):
        response = get()
    lookups_before = cache_lookups()
    samples, walls = [], []
    for _ in range(iterations):
        if endpoint.before_each:
            endpoint.before_each()
        started, wall_started = time.thread_time(), time.perf_counter()
        get()
        samples.append((time.thread_time() - started) * 1000)
        walls.append((time.perf_counter() - wall_started) * 1000)
    lookups = {
        key: value - lookups_before.get(key, 0.0)
        for key, value in cache_lookups().items()
        if value - lookups_before.get(key, 0.0)
    }
    samples.sort()
    median = statistics.median(samples)
    target = TARGETS_MS.get(endpoint.name)
    return {
        "name": endpoint.name,
        "path": endpoint.path,
        "who": endpoint.who,
        "median_ms": median,
        "p90_ms": samples[int(len(samples) * 0.9) - 1],
        # Wall-clock time of the same requests: CPU plus waiting (PostgreSQL, Redis, the host).
        "wall_median_ms": statistics.median(walls),
        "queries": len(queries),
        "bytes": len(response.content),
        "target_ms": target,
        "passed": None if target is None else median <= target,
        "cache_lookups": {f"{cache}/{result}": int(n) for (cache, result), n in lookups.items()},
    }


def _bare_ceiling(*, iterations: int, warm_up: int) -> dict[str, Any]:
    """The same view with no middleware at all: what the stack itself costs."""
    from django.test import Client, override_settings

    from bench.urls import CEILING_PATH

    with override_settings(MIDDLEWARE=[]):
        result = _measure(
            Endpoint("ceiling: SELECT 1 view, no middleware", CEILING_PATH, Client(), {}),
            iterations=iterations,
            warm_up=warm_up,
        )
    return result


def run(*, iterations: int = 200, warm_up: int = 20, only: Sequence[str] = ()) -> dict[str, Any]:
    """``only``: measure the endpoints whose names contain one of these (and the ceiling)."""
    from bench import credentials

    try:  # as the WSGI entry point does in production
        from hospital.runtime import tune_garbage_collector

        tune_garbage_collector()
    except ImportError:
        pass
    users = credentials.bench_users()
    rows = []
    for endpoint in _endpoints(users):
        if (
            only
            and not endpoint.name.startswith("ceiling")
            and not any(part in endpoint.name for part in only)
        ):
            continue
        rows.append(_measure(endpoint, iterations=iterations, warm_up=warm_up))
        print(f"  cpu {rows[-1]['name']}: {rows[-1]['median_ms']:.2f} ms", flush=True)
        if len(rows) == 1:  # right after the ceiling, on an equally warm process
            rows.append(_bare_ceiling(iterations=iterations, warm_up=warm_up))
    ceiling = next(row for row in rows if row["name"].startswith("ceiling: SELECT 1 view, full"))
    for row in rows:
        row["ratio"] = row["median_ms"] / ceiling["median_ms"]
    return {"iterations": iterations, "warm_up": warm_up, "rows": rows}
