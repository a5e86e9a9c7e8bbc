"""Private calendar feeds: a revocable secret URL per user, stored as a digest."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models


def feed_token_digest(token: str) -> str:
    """What is stored of a feed token: its SHA-256, so a database leak reveals no feed URL."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A private iCalendar feed URL per user; the token is stored hashed and can be revoked."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return "Calendar feed"
