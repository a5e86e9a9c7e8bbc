"""Celery task policies shared by every app, and the outbox's tasks.

Policies (spread into ``@shared_task(...)``):
- ``MUST_NOT_BE_LOST``: acknowledged only after the task ran, and requeued when the worker
  process running it dies (``acks_late`` + ``reject_on_worker_lost``; also the global
  defaults, made explicit where it matters). Such a task may run twice: it must be idempotent.
- ``RETRY_TRANSIENT``: a database, broker or mail-server connection failure is retried with
  exponential backoff and jitter; only for idempotent work.
Time limits: ``CELERY_TASK_SOFT_TIME_LIMIT`` / ``CELERY_TASK_TIME_LIMIT`` by default,
tighter per task (``soft_time_limit`` / ``time_limit``).
"""

from __future__ import annotations

import datetime
import smtplib
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError
from django.db import OperationalError as DatabaseOperationalError
from kombu.exceptions import OperationalError as BrokerOperationalError

from core import events, idempotency

# Failures that say "not now" rather than "never": a lost or refused connection, a timeout.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    DatabaseOperationalError,
    InterfaceError,
    BrokerOperationalError,
    ConnectionError,
    TimeoutError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
)

MUST_NOT_BE_LOST: dict[str, Any] = {"acks_late": True, "reject_on_worker_lost": True}

RETRY_TRANSIENT: dict[str, Any] = {
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": 5,  # 5 s, 10 s, 20 s ... (seconds, doubled each time)
    "retry_backoff_max": 600,
    "retry_jitter": True,  # a random delay up to the backoff, so retries do not stampede
    "max_retries": 6,
}


@shared_task(
    name="core.tasks.handle_outbox_message",
    soft_time_limit=60,
    time_limit=90,
    **MUST_NOT_BE_LOST,
    **RETRY_TRANSIENT,
)
def handle_outbox_message(message_id: int) -> bool:
    """Run one outbox row's subscriber (at most once: the row is marked in its transaction)."""
    return events.handle(message_id)


@shared_task(name="core.tasks.relay_outbox", soft_time_limit=120, time_limit=150)
def relay_outbox() -> int:
    """The periodic sweep (Celery beat): send every outbox row that is due, forget rows
    handled more than ``OUTBOX_KEEP_HANDLED_DAYS`` ago."""
    sent = events.relay()
    events.purge_handled(older_than=datetime.timedelta(days=settings.OUTBOX_KEEP_HANDLED_DAYS))
    return sent


@shared_task(
    name="core.tasks.purge_idempotency_records",
    soft_time_limit=300,
    time_limit=360,
    **RETRY_TRANSIENT,
)
def purge_idempotency_records() -> int:
    """Forget Idempotency-Key outcomes older than a day (Celery beat, hourly)."""
    return idempotency.idempotency_records_purge()
