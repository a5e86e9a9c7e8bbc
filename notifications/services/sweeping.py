"""The periodic sweep (Celery beat, `manage.py notifications_sweep`): queues every pending
delivery that is due and not queued since it became due (retries after their backoff,
reminders and quiet-hour deferrals whose time has come), and those queued so long ago that
their task must have been lost (the broker was down at the commit, a worker's queue purged).
A delivery queued twice is sent once (notifications.services.sending)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Delivery
from notifications.services.dispatch import queue_now


def deliveries_sweep(*, limit: int = 5000) -> int:
    """Queue what is due; returns how many deliveries the broker took."""
    now = timezone.now()
    lost_before = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_REQUEUE_AFTER_SECONDS)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        .filter(
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=F("next_attempt_at"))
            | Q(queued_at__lt=lost_before)
        )
        .order_by("next_attempt_at")
        .values_list("pk", "channel")[:limit]
    )
    by_channel: dict[str, list[int]] = {}
    for delivery_id, channel in due:
        by_channel.setdefault(channel, []).append(delivery_id)
    if not due:
        return 0
    # Marked queued before the broker hears of them, and committed (the sweep runs outside a
    # transaction): a worker that takes a task at once must not find the row locked by this
    # UPDATE, which its SELECT ... FOR UPDATE SKIP LOCKED would take for another worker's send
    # and drop, leaving the message to wait until it counts as lost.
    due_ids = [delivery_id for delivery_id, _ in due]
    Delivery.objects.filter(pk__in=due_ids).update(queued_at=now)
    queued = queue_now(by_channel)
    refused = set(due_ids) - set(queued)
    if refused:  # the broker went away part-way: the next sweep takes these at once
        Delivery.objects.filter(pk__in=refused, queued_at=now).update(queued_at=None)
    return len(queued)
