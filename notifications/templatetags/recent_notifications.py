"""The newest unread notifications, for a card on a person's home page."""

from __future__ import annotations

from django import template
from django.db import DatabaseError

from accounts.models import User
from notifications.models import Notification
from notifications.selectors import notifications_of

register = template.Library()
SHOWN = 3


@register.inclusion_tag("notifications/_recent.html", takes_context=True)
def recent_notifications(context: template.Context) -> dict[str, object]:
    """Up to three unread notifications, newest first (one query; nothing when the database
    cannot say, as the bell)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    unread: list[Notification] = []
    if isinstance(user, User) and user.is_authenticated:
        try:
            unread = list(notifications_of(user=user).filter(read_at__isnull=True)[:SHOWN])
        except DatabaseError:
            unread = []
    return {"unread": unread}
