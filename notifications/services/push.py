"""Live delivery over WebSockets: through the channel layer (Redis in production), so any
process (a web worker, a Celery worker) reaches the person's open pages and apps."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from notifications.models import Notification

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The channel-layer group of one person's connections."""
    return f"notifications.user.{user_id}"


def notification_payload(notification: Notification, *, unread: int) -> dict[str, Any]:
    return {
        "id": str(notification.public_id),
        "kind": notification.kind,
        "category": notification.category,
        "title": notification.title,
        "body": notification.body,
        "link": notification.link,
        "created_at": notification.created_at.isoformat(),
        "unread_count": unread,
    }


def notification_push(*, notification: Notification) -> bool:
    """Push a new notification to its recipient's connections; False if the channel layer
    could not be reached (the notification stays under the bell)."""
    unread = Notification.objects.filter(
        recipient_id=notification.recipient_id, read_at__isnull=True
    ).count()
    return group_send(
        user_group(notification.recipient_id),
        {
            "type": "notification.new",
            "notification": notification_payload(notification, unread=unread),
            # For the socket's audit of the read (not sent on to the page).
            "patient": notification.patient_id,
        },
    )


def unread_count_push(*, user_id: int, unread: int) -> bool:
    """Tell the person's other pages that messages were read (the bell's count)."""
    return group_send(user_group(user_id), {"type": "notification.read", "unread_count": unread})


def group_send(group: str, message: dict[str, Any]) -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, message)
    except (OSError, ConnectionError, TimeoutError) as error:
        logger.warning("Live push to %s failed: %s", group, type(error).__name__)
        return False
    except Exception as error:  # redis-py's own connection errors
        if type(error).__module__.startswith("redis"):
            logger.warning("Live push to %s failed: %s", group, type(error).__name__)
            return False
        raise
    return True
