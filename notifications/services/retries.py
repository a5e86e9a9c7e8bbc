"""An operator's retry of deliveries that failed (the admin's action)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit.services import record
from notifications.models import Delivery
from notifications.services.dispatch import queue_after_commit

# What an operator may send again: a failure, a bounce, an SMS the network did not deliver
# (after fixing the address or the provider's account).
RETRYABLE = (Delivery.Status.FAILED, Delivery.Status.BOUNCED, Delivery.Status.UNDELIVERED)


def deliveries_retry(
    *, delivery_ids: Iterable[int], retried_by: User, request: HttpRequest | None = None
) -> int:
    """Put failed deliveries back to pending with fresh attempts and queue them; returns
    how many. Audited (one row per delivery)."""
    now = timezone.now()
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.select_for_update()
            .filter(pk__in=list(delivery_ids), status__in=RETRYABLE)
            .order_by("pk")
        )
        for delivery in deliveries:
            previous = delivery.status
            delivery.status = Delivery.Status.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = delivery.queued_at = delivery.status_changed_at = now
            delivery.save(
                update_fields=[
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "queued_at",
                    "status_changed_at",
                ]
            )
            record(
                action="notifications.delivery_retried",
                actor=retried_by,
                target=delivery,
                request=request,
                details={"kind": delivery.kind, "channel": delivery.channel, "was": previous},
            )
        queue_after_commit(deliveries)
    return len(deliveries)
