"""Celery tasks of the notifications app: take ids, call a service.

One task per channel, each routed to its own queue (email, sms, push: CELERY_TASK_ROUTES), so
a slow SMS provider never holds up emails. Acknowledged after they ran and requeued if their
worker dies (``MUST_NOT_BE_LOST``); sending twice is prevented by the delivery row, not by the
broker (notifications.services.sending). The database being away is retried with backoff;
a provider's failure is retried by the sweep, after the delivery's own backoff.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core.tasks import MUST_NOT_BE_LOST, RETRY_TRANSIENT
from notifications.models import Channel
from notifications.services import sending, sweeping

# A send waits at most for the provider's timeout (10 s) plus the database.
_SEND_LIMITS: dict[str, Any] = {"soft_time_limit": 45, "time_limit": 60}


@shared_task(
    name="notifications.tasks.send_email", **_SEND_LIMITS, **MUST_NOT_BE_LOST, **RETRY_TRANSIENT
)
def send_email(delivery_id: int) -> str:
    return sending.delivery_send(delivery_id=delivery_id).status


@shared_task(
    name="notifications.tasks.send_sms", **_SEND_LIMITS, **MUST_NOT_BE_LOST, **RETRY_TRANSIENT
)
def send_sms(delivery_id: int) -> str:
    return sending.delivery_send(delivery_id=delivery_id).status


@shared_task(
    name="notifications.tasks.send_push", **_SEND_LIMITS, **MUST_NOT_BE_LOST, **RETRY_TRANSIENT
)
def send_push(delivery_id: int) -> str:
    return sending.delivery_send(delivery_id=delivery_id).status


TASK_OF_CHANNEL: dict[str, Any] = {
    Channel.EMAIL: send_email,
    Channel.SMS: send_sms,
    Channel.IN_APP: send_push,
}


@shared_task(name="notifications.tasks.sweep", soft_time_limit=60, time_limit=90)
def sweep() -> int:
    """Queue the deliveries that are due (Celery beat, every NOTIFICATIONS_SWEEP_SECONDS)."""
    return sweeping.deliveries_sweep()
