"""Error codes of the notifications app."""

from __future__ import annotations

from django.utils.translation import gettext_noop

from core.errors import NotFoundError


class NotificationNotFound(NotFoundError):
    code = "NOTIFICATION_NOT_FOUND"
    default_message = gettext_noop("No such notification.")
