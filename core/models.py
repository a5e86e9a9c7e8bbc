"""The transactional outbox: work that a change triggers, written in the change's transaction.

``core.events.publish`` writes one row per subscriber of the event; after the commit the row
is relayed to the broker (at once, and by the periodic sweep if that failed), and a worker
runs the subscriber and marks the row handled in the subscriber's own transaction. A broker
outage delays the work, never loses it; a redelivered message finds the row handled.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class OutboxMessage(models.Model):
    """One subscriber's share of one published event."""

    id = models.BigAutoField(primary_key=True, verbose_name=gettext_lazy("ID"))
    # The event's registered name (``core.events.event_name``) and its JSON form: ids and
    # times only, never medical values.
    event_type = models.CharField(max_length=150, verbose_name=gettext_lazy("event type"))
    handler = models.CharField(max_length=255, verbose_name=gettext_lazy("handler"))
    payload = models.JSONField(verbose_name=gettext_lazy("payload"))
    # The request that published it ("-" outside a request): the task's log lines and audit
    # rows carry it too.
    request_id = models.CharField(
        max_length=128, default="-", verbose_name=gettext_lazy("request ID")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    # Sends to the broker so far, and when the next one is due (backoff after a failure, or
    # a resend when a sent message was never handled).
    attempts = models.PositiveIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    next_attempt_at = models.DateTimeField(
        default=timezone.now, verbose_name=gettext_lazy("next attempt at")
    )
    last_error = models.TextField(blank=True, default="", verbose_name=gettext_lazy("last error"))
    # Set once the broker has accepted the message; handled_at once the subscriber ran.
    dispatched_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("dispatched at")
    )
    handled_at = models.DateTimeField(
        null=True, blank=True, verbose_name=gettext_lazy("handled at")
    )

    class Meta:
        indexes = [
            # The sweep reads only what is still to do.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(handled_at__isnull=True),
                name="outbox_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.handler} #{self.pk}"


class IdempotencyRecord(models.Model):
    """The first result of an API request sent with an Idempotency-Key, replayed for retries
    (core/idempotency.py). Any app's API uses it, so it lives at the bottom layer."""

    # Indexed by the (user, key) unique constraint in Meta.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        verbose_name=gettext_lazy("user"),
    )
    key = models.CharField(max_length=128, verbose_name=gettext_lazy("key"))
    request_hash = models.CharField(max_length=64, verbose_name=gettext_lazy("request hash"))
    response_status = models.PositiveSmallIntegerField(
        null=True, verbose_name=gettext_lazy("response status")
    )
    response_body = models.JSONField(null=True, verbose_name=gettext_lazy("response body"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=gettext_lazy("created at"))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["created_at"], name="core_idempotency_created")]

    def __str__(self) -> str:
        return f"Idempotency record {self.key}"
