"""A provider's report of what became of a message it accepted."""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.utils import timezone

from notifications.models import Delivery

logger = logging.getLogger(__name__)

# What a report may change: a message the provider accepted, into what became of it. A
# report for a delivery that is not (or no longer) "sent" changes nothing: reports arrive
# out of order and more than once.
_FROM = (Delivery.Status.SENT,)
_TO = (
    Delivery.Status.DELIVERED,
    Delivery.Status.BOUNCED,
    Delivery.Status.UNDELIVERED,
    Delivery.Status.FAILED,
)


def delivery_status_report(
    *,
    delivery_public_id: uuid.UUID | None,
    provider_message_id: str,
    channel: str,
    status: str,
    detail: str = "",
) -> bool:
    """Record ``status`` on the delivery the provider names; False if none matched."""
    if status not in _TO:
        raise ValueError(f"Not a provider status: {status}")
    deliveries = Delivery.objects.filter(channel=channel, status__in=_FROM)
    if delivery_public_id is not None:
        deliveries = deliveries.filter(public_id=delivery_public_id)
    elif provider_message_id:
        deliveries = deliveries.filter(provider_message_id=provider_message_id)
    else:
        return False
    with transaction.atomic():
        changed = deliveries.update(
            status=status, status_changed_at=timezone.now(), last_error=detail[:500]
        )
    if changed:
        logger.info("Provider reported %s for a %s delivery", status, channel)
    return bool(changed)
