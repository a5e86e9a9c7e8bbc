"""Private calendar feeds: a revocable secret URL per user, stored as a digest."""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def feed_token_digest(token: str) -> str:
    """What is stored of a feed token: its SHA-256, so a database leak reveals no feed URL."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeed(models.Model):
    """A private iCalendar feed URL; the token is stored hashed. A user has at most one live
    feed; revoked (or replaced) feeds are kept so that their URL answers 410 Gone."""

    class TitleMode(models.TextChoices):
        DETAILED = "detailed", gettext_lazy("What and with whom (e.g. Consultation with Dr Weber)")
        NEUTRAL = (
            "neutral",
            gettext_lazy("Only “Hospital appointment” (for calendars kept by other companies)"),
        )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=gettext_lazy("user"),
    )
    token_digest = models.CharField(
        max_length=64, unique=True, verbose_name=gettext_lazy("token digest")
    )
    title_mode = models.CharField(
        max_length=16,
        choices=TitleMode.choices,
        default=TitleMode.DETAILED,
        verbose_name=gettext_lazy("title mode"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))
    revoked_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("revoked at")
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(revoked_at__isnull=True),
                name="appointments_one_live_feed_per_user",
            )
        ]

    def __str__(self) -> str:
        return _("Calendar feed")
