"""Celery queue depth for /metrics, asked of the broker at scrape time.

A passive ``queue_declare`` per known queue (it creates nothing) through kombu, on a
connection with short timeouts; the answer is kept for METRICS_BROKER_CACHE_SECONDS so
frequent or concurrent scrapes ask once. A broker that is down or slow gives
``hospital_broker_up 0`` and no depth series, never an error: a scrape must not fail or
hang because of a dependency.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueReading:
    messages: int
    consumers: int


@dataclass(frozen=True)
class BrokerReading:
    up: bool
    # Queues the broker knows; one not declared yet (no worker ever consumed it) is left out.
    queues: dict[str, QueueReading] = field(default_factory=dict)


@dataclass(frozen=True)
class _Cached:
    key: tuple[str, tuple[str, ...]]
    expires_at: float
    reading: BrokerReading


_lock = threading.Lock()
_cached: _Cached | None = None


def celery_queue_names() -> tuple[str, ...]:
    """METRICS_CELERY_QUEUES, or the queues the Celery settings name: the default queue, the
    declared queues and the queues of dict-form routes."""
    explicit: list[str] = list(getattr(settings, "METRICS_CELERY_QUEUES", []) or [])
    if explicit:
        return tuple(dict.fromkeys(explicit))
    names = [str(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "") or "celery")]
    declared = getattr(settings, "CELERY_TASK_QUEUES", None) or ()
    for queue in declared:
        name = queue if isinstance(queue, str) else getattr(queue, "name", None)
        if isinstance(name, str) and name:
            names.append(name)
    routes = getattr(settings, "CELERY_TASK_ROUTES", None)
    if isinstance(routes, dict):
        for route in routes.values():
            queue = route.get("queue") if isinstance(route, dict) else None
            name = queue if isinstance(queue, str) else getattr(queue, "name", None)
            if isinstance(name, str) and name:
                names.append(name)
    return tuple(dict.fromkeys(names))


def broker_reading() -> BrokerReading | None:
    """The broker's state, at most METRICS_BROKER_CACHE_SECONDS old; None without a broker
    (tasks run in-process). At most one probe runs at a time in a process."""
    global _cached
    url: str = settings.CELERY_BROKER_URL
    if not url:
        return None
    key = (url, celery_queue_names())
    timeout: int = settings.METRICS_BROKER_TIMEOUT_SECONDS
    cached = _cached
    if cached is not None and cached.key == key and time.monotonic() < cached.expires_at:
        return cached.reading
    # Another scrape is probing: wait for its answer, a little longer than a probe can take.
    if not _lock.acquire(timeout=4 * timeout):
        return cached.reading if cached is not None and cached.key == key else BrokerReading(False)
    try:
        cached = _cached
        if cached is not None and cached.key == key and time.monotonic() < cached.expires_at:
            return cached.reading
        reading = _probe(url, key[1], timeout)
        _cached = _Cached(
            key=key,
            expires_at=time.monotonic() + settings.METRICS_BROKER_CACHE_SECONDS,
            reading=reading,
        )
        return reading
    finally:
        _lock.release()


def _transport_options(url: str, timeout: int) -> dict[str, object]:
    if url.startswith(("redis", "rediss")):
        return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "max_retries": 0}
    # py-amqp: every read and write, the handshake included, gives up after the timeout.
    return {"read_timeout": timeout, "write_timeout": timeout, "handshake_timeout": timeout}


def _probe(url: str, queue_names: tuple[str, ...], timeout: int) -> BrokerReading:
    from kombu import Connection

    queues: dict[str, QueueReading] = {}
    try:
        with Connection(
            url,
            connect_timeout=timeout,
            heartbeat=0,
            transport_options=_transport_options(url, timeout),
        ) as connection:
            # One attempt: the next scrape is the retry.
            connection.ensure_connection(max_retries=0, timeout=timeout)
            for name in queue_names:
                channel: Any = connection.channel()  # kombu's StdChannel type lacks these
                try:
                    _, messages, consumers = channel.queue_declare(queue=name, passive=True)
                    queues[name] = QueueReading(messages=int(messages), consumers=int(consumers))
                except connection.channel_errors:
                    pass  # not declared yet: nothing to report for it
                finally:
                    with contextlib.suppress(Exception):
                        channel.close()
    except Exception as error:  # any failure means "broker not usable": reported, not raised
        # The class only: the URL holds credentials.
        logger.warning("metrics: broker probe failed: %s", type(error).__name__)
        return BrokerReading(up=False)
    return BrokerReading(up=True, queues=queues)


class CeleryQueueCollector(Collector):
    """``hospital_broker_up`` and, with the broker up, each known queue's depth."""

    def collect(self) -> Iterator[Metric]:
        reading = broker_reading()
        if reading is None:
            return
        up = GaugeMetricFamily(
            "hospital_broker_up", "1 if the Celery broker answered the last probe, else 0."
        )
        up.add_metric([], 1 if reading.up else 0)
        yield up
        if not reading.queues:
            return
        messages = GaugeMetricFamily(
            "hospital_celery_queue_messages",
            "Messages ready in a Celery queue (not yet delivered to a worker).",
            labels=["queue"],
        )
        consumers = GaugeMetricFamily(
            "hospital_celery_queue_consumers",
            "Consumers (worker processes) attached to a Celery queue.",
            labels=["queue"],
        )
        for name, queue in sorted(reading.queues.items()):
            messages.add_metric([name], queue.messages)
            consumers.add_metric([name], queue.consumers)
        yield messages
        yield consumers
