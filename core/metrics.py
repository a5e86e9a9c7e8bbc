"""Prometheus metrics shared by every app (exposed at /metrics).

Apps record through these functions, never through prometheus_client directly, so metric
names and labels stay in one place.

One process (development, tests): metrics live in prometheus_client's default registry.
Several processes (granian workers, Celery workers): with ``PROMETHEUS_MULTIPROC_DIR`` set
in the environment before start-up, every process writes its metrics to files in that
directory and a scrape, whichever worker serves it, adds up all of them. Counters and
histograms are summed over every process that ever wrote (so they survive worker
restarts); gauges use ``livesum``: the sum over processes still running.

Labels are bounded and carry no medical data: a request's route is its URL pattern
(``/api/v1/appointments/<uuid:public_id>``), never its path.
"""

from __future__ import annotations

import atexit
import glob
import os
import threading
from collections.abc import Iterator
from typing import Any

from django.db import connections
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    values,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

# No `_created` series beside every counter and histogram: they would double what a scrape
# carries, and Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Chosen by prometheus_client when it was imported, from the environment: the same test.
MULTIPROCESS = values.ValueClass is not values.MutexValue

CACHE_LOOKUPS = Counter(
    "hospital_cache_lookups_total",
    "Application cache lookups, by cache and result (hit or miss).",
    ["cache", "result"],
)

REQUESTS_SHED = Counter(
    "hospital_requests_shed_total",
    "Requests answered 503 because they waited longer than REQUEST_QUEUE_TIMEOUT before "
    "reaching the application (core.queue_time).",
)

# Targets of issue 10: reads under 20 ms, p99 under 50 ms; the upper buckets show overload.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUEST_LATENCY = Histogram(
    "hospital_http_request_duration_seconds",
    "Time to answer an HTTP request (the whole middleware stack), by URL pattern, method and "
    "status class.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
)

# --- Database connection pool (psycopg_pool's get_stats(), per process) ----------------
# Gauges: livesum, i.e. the whole server's connections (what PostgreSQL's max_connections is
# compared with) and waiting requests, counting only processes still alive. Per-process
# labels (pid) would add a series per worker restart and say nothing across restarts.
POOL_CONNECTIONS = Gauge(
    "hospital_db_pool_connections",
    "Connections open or being opened by the pool.",
    ["alias"],
    multiprocess_mode="livesum",
)
POOL_IDLE = Gauge(
    "hospital_db_pool_idle_connections",
    "Connections idle in the pool, ready to be handed out.",
    ["alias"],
    multiprocess_mode="livesum",
)
POOL_MAX = Gauge(
    "hospital_db_pool_max_connections",
    "Most connections the pool may open (DATABASE_POOL_MAX_SIZE, summed over processes).",
    ["alias"],
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "hospital_db_pool_requests_waiting",
    "Requests waiting for a connection now.",
    ["alias"],
    multiprocess_mode="livesum",
)
# Counters: psycopg_pool counts from the pool's creation; the increase since the last reading
# is added, so they keep counting across worker restarts like any Prometheus counter.
POOL_REQUESTS = Counter(
    "hospital_db_pool_requests_total", "Connections asked of the pool.", ["alias"]
)
POOL_QUEUED = Counter(
    "hospital_db_pool_requests_queued_total",
    "Requests that had to wait for a connection.",
    ["alias"],
)
POOL_ERRORS = Counter(
    "hospital_db_pool_request_errors_total",
    "Requests that got no connection: timeouts (answered 503) and other errors.",
    ["alias"],
)
POOL_WAIT = Counter(
    "hospital_db_pool_wait_seconds_total",
    "Time requests spent waiting for a connection.",
    ["alias"],
)
POOL_CONNECTIONS_LOST = Counter(
    "hospital_db_pool_connections_lost_total",
    "Pooled connections found broken (server restart, terminated backend).",
    ["alias"],
)
POOL_CONNECTION_ERRORS = Counter(
    "hospital_db_pool_connection_errors_total",
    "Failed attempts to open a connection to the database.",
    ["alias"],
)
_POOL_GAUGES = (
    (POOL_CONNECTIONS, "pool_size"),
    (POOL_IDLE, "pool_available"),
    (POOL_MAX, "pool_max"),
    (POOL_WAITING, "requests_waiting"),
)
_POOL_COUNTERS = (
    (POOL_REQUESTS, "requests_num", 1.0),
    (POOL_QUEUED, "requests_queued", 1.0),
    (POOL_ERRORS, "requests_errors", 1.0),
    (POOL_WAIT, "requests_wait_ms", 0.001),
    (POOL_CONNECTIONS_LOST, "connections_lost", 1.0),
    (POOL_CONNECTION_ERRORS, "connections_errors", 1.0),
)
_pool_lock = threading.Lock()
# alias -> (id of the pool object, its counters at the last reading)
_pool_seen: dict[str, tuple[int, dict[str, int]]] = {}


def cache_lookup(cache: str, *, hit: bool, count: int = 1) -> None:
    """Count lookups in an application cache (for example "slots" or "tokens"): ``count``
    entries found (``hit``) or not."""
    if count:
        CACHE_LOOKUPS.labels(cache=cache, result="hit" if hit else "miss").inc(count)


def request_shed() -> None:
    """Count one request refused for its time in the queue (core.queue_time)."""
    REQUESTS_SHED.inc()


def record_pool_stats() -> None:
    """Copy this process's connection pool figures into the pool metrics.

    Called at scrape time, and in multi-process mode also by each worker on its requests (at
    most every METRICS_POOL_REFRESH_SECONDS), since a scrape reaches only one worker. Opens
    no connection. Concurrent callers do not wait: one reading at a time is enough.
    """
    if not _pool_lock.acquire(blocking=False):
        return
    try:
        for alias in connections:
            pool: Any = getattr(connections[alias], "pool", None)
            if pool is not None:
                _record_pool(alias, pool)
    finally:
        _pool_lock.release()


def _record_pool(alias: str, pool: Any) -> None:
    stats: dict[str, int] = pool.get_stats()
    for gauge, key in _POOL_GAUGES:
        gauge.labels(alias=alias).set(stats.get(key, 0))
    seen_id, seen = _pool_seen.get(alias, (0, {}))
    if seen_id != id(pool):
        seen = {}  # a new pool (closed and re-created) counts from zero
    for counter, key, scale in _POOL_COUNTERS:
        current = stats.get(key, 0)
        increase = current - seen.get(key, 0)
        if increase < 0:  # reset under us (pop_stats): count what it has now
            increase = current
        child = counter.labels(alias=alias)  # present from the first reading, even at 0
        if increase:
            child.inc(increase * scale)
    _pool_seen[alias] = (id(pool), {key: stats.get(key, 0) for _, key, _ in _POOL_COUNTERS})


# --- Exposition --------------------------------------------------------------------------
class _Forward(Collector):
    """Everything another registry collects (the default one: our metrics, process, GC)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


_scrape_registry: CollectorRegistry | None = None


def _registry() -> CollectorRegistry:
    global _scrape_registry
    if _scrape_registry is None:
        from core.metrics_broker import CeleryQueueCollector

        registry = CollectorRegistry(auto_describe=False)
        if MULTIPROCESS:
            prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry.register(_Forward(REGISTRY))
        # Server-wide facts asked at scrape time, not per process.
        registry.register(CeleryQueueCollector())
        _scrape_registry = registry
    return _scrape_registry


def multiprocess_dir() -> str:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def forget_dead_processes() -> None:
    """Drop the live gauges of processes that ended without saying so (a killed or crashed
    worker, a forked child that exited with os._exit): ``livesum`` must not count them."""
    directory = multiprocess_dir()
    if not directory:
        return
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        try:
            pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        except ValueError:
            continue
        if not _process_alive(pid):
            prometheus_multiprocess.mark_process_dead(pid, directory)  # type: ignore[no-untyped-call]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    return True


def exposition(*, accept: str = "") -> tuple[bytes, str]:
    """The metrics in the format the scraper asked for: (body, content type)."""
    record_pool_stats()
    if MULTIPROCESS:
        forget_dead_processes()
    encoder, content_type = choose_encoder(accept)
    return encoder(_registry()), content_type


if MULTIPROCESS:
    # A worker that exits normally takes its live gauges with it.
    atexit.register(
        lambda: prometheus_multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
    )
