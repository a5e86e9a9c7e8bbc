"""Error codes of the notifications app."""

from __future__ import annotations

from core.errors import NotFoundError


class NotificationNotFound(NotFoundError):
    code = "NOTIFICATION_NOT_FOUND"
    default_message = "No such notification."
