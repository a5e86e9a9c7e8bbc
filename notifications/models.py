"""What the hospital tells people, and how each message travels.

- ``Delivery``: one message to one person on one channel (email, SMS, in-app push). Written in
  the transaction of the change that caused it, sent by a worker after the commit, retried
  with backoff, swept when its task was lost. Its ``dedupe_key`` is unique: the same event
  never makes the same message twice.
- ``Notification``: the in-app message (the bell), stored so it is there whether or not the
  person was connected when it was pushed.
- ``MessageTemplate``: an administrator's wording of a message kind for one channel and one
  language, over the shipped default (notifications.catalog).
- ``NotificationPreference`` / ``NotificationSettings``: what a person wants to receive, where,
  and when not to be disturbed.

Bodies hold no clinical detail (no reason for the visit): the catalog's contexts carry only
the appointment's type, clinician, place and times.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Channel(models.TextChoices):
    EMAIL = "email", gettext_lazy("Email")
    SMS = "sms", gettext_lazy("Text message (SMS)")
    IN_APP = "in_app", gettext_lazy("In the app")


class Category(models.TextChoices):
    APPOINTMENTS = "appointments", gettext_lazy("Appointments")
    REMINDERS = "reminders", gettext_lazy("Reminders")
    WAITLIST = "waitlist", gettext_lazy("Waitlist offers")
    SECURITY = "security", gettext_lazy("Account security")
    SCHEDULE = "schedule", gettext_lazy("My schedule (staff)")


class Delivery(models.Model):
    """One message to one recipient on one channel."""

    class Status(models.TextChoices):
        # Waiting for its time (``next_attempt_at``: now, a retry's backoff, quiet hours, a
        # reminder's hour) or queued to a worker.
        PENDING = "pending", gettext_lazy("Pending")
        # The provider accepted it (SMTP server, SendGrid, Twilio, the channel layer).
        SENT = "sent", gettext_lazy("Sent")
        # The provider's callback: it reached the person's mailbox or phone ...
        DELIVERED = "delivered", gettext_lazy("Delivered")
        # ... or it did not.
        BOUNCED = "bounced", gettext_lazy("Bounced")
        UNDELIVERED = "undelivered", gettext_lazy("Undelivered")
        # Refused for good, or out of attempts: the dead-letter list (admin: retry).
        FAILED = "failed", gettext_lazy("Failed")
        # Not sent because it no longer applies (a reminder of a moved or cancelled
        # appointment, a channel switched off before it left).
        CANCELLED = "cancelled", gettext_lazy("Not needed any more")

    FINAL_STATUSES: ClassVar[tuple[str, ...]] = (
        Status.SENT,
        Status.DELIVERED,
        Status.BOUNCED,
        Status.UNDELIVERED,
        Status.FAILED,
        Status.CANCELLED,
    )

    id = models.BigAutoField(primary_key=True, verbose_name=gettext_lazy("ID"))
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    # What caused it, unique per channel and recipient: e.g. the event's digest + channel.
    dedupe_key = models.CharField(
        max_length=200, unique=True, verbose_name=gettext_lazy("dedupe key")
    )
    kind = models.CharField(
        max_length=64, verbose_name=gettext_lazy("kind")
    )  # notifications.catalog: "appointment.booked"
    category = models.CharField(
        max_length=16, choices=Category.choices, verbose_name=gettext_lazy("category")
    )
    channel = models.CharField(
        max_length=8, choices=Channel.choices, verbose_name=gettext_lazy("channel")
    )
    # What it is about, e.g. "appointment:<public id>": a moved appointment's reminders are
    # found by it; a message about something that no longer applies is not sent.
    topic = models.CharField(
        max_length=80, blank=True, db_index=True, verbose_name=gettext_lazy("topic")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notification_deliveries",
        verbose_name=gettext_lazy("recipient"),
    )
    # The patient whose appointment the message is about (a clinician's "A. Morgan booked",
    # a patient's own reminder): sending or showing it is a read of their record, audited
    # (audit/access.py).
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=gettext_lazy("patient"),
    )
    # Where it goes, as it was when the message was made: an email address or an E.164
    # number (empty for in-app). Never logged.
    address = models.CharField(max_length=254, blank=True, verbose_name=gettext_lazy("address"))
    language = models.CharField(max_length=16, default="en", verbose_name=gettext_lazy("language"))
    # The values the template is rendered with: names, times, links; never clinical detail.
    context = models.JSONField(default=dict, blank=True, verbose_name=gettext_lazy("context"))
    # A message rendered by its author (the account emails of Django and allauth, through the
    # mail queue): sent as it is; emptied once sent, since it may hold a one-time link.
    subject = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("subject"))
    body_text = models.TextField(blank=True, verbose_name=gettext_lazy("body text"))
    body_html = models.TextField(blank=True, verbose_name=gettext_lazy("body HTML"))
    reply_to = models.CharField(max_length=254, blank=True, verbose_name=gettext_lazy("reply to"))

    status = models.CharField(
        max_length=12,
        choices=Status.choices,
        default=Status.PENDING,
        db_index=False,
        verbose_name=gettext_lazy("status"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=gettext_lazy("attempts"))
    # When it is due (pending), or was last tried.
    next_attempt_at = models.DateTimeField(
        default=timezone.now, verbose_name=gettext_lazy("next attempt at")
    )
    # When it was last handed to the broker: the sweep re-queues what stays pending past it.
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("queued at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("sent at"))
    status_changed_at = models.DateTimeField(
        default=timezone.now, verbose_name=gettext_lazy("status changed at")
    )
    # SMTP: our Message-ID; SendGrid: X-Message-Id; Twilio: the message SID; in-app: the
    # notification's id. Provider callbacks find the row by it.
    provider_message_id = models.CharField(
        max_length=200, blank=True, verbose_name=gettext_lazy("provider message ID")
    )
    # Why the last attempt failed: the provider's code and words, never the message.
    last_error = models.CharField(
        max_length=500, blank=True, verbose_name=gettext_lazy("last error")
    )
    notification = models.ForeignKey(
        "Notification",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("notification"),
    )

    class Meta:
        verbose_name_plural = gettext_lazy("deliveries")
        indexes: ClassVar = [
            # The sweep and the status command read only what is still to send.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="notif_delivery_pending_idx",
            ),
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="notif_delivery_provider_idx",
            ),
            models.Index(fields=["status", "created_at"], name="notif_delivery_status_idx"),
            models.Index(fields=["recipient", "created_at"], name="notif_delivery_recipient_idx"),
        ]

    def __str__(self) -> str:
        # Translators: e.g. "appointment.booked by sms (failed)": the codes of the kind,
        # the channel and the status.
        return _("%(kind)s by %(channel)s (%(status)s)") % {
            "kind": self.kind,
            "channel": self.channel,
            "status": self.status,
        }


class FailedDelivery(Delivery):
    """The dead-letter list: deliveries that failed for good (the admin's own list)."""

    class Meta:
        proxy = True
        verbose_name = gettext_lazy("failed delivery")
        verbose_name_plural = gettext_lazy("failed deliveries (dead letters)")


class Notification(models.Model):
    """An in-app message, shown under the bell until read."""

    id = models.BigAutoField(primary_key=True, verbose_name=gettext_lazy("ID"))
    public_id = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, verbose_name=gettext_lazy("public ID")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=gettext_lazy("recipient"),
    )
    kind = models.CharField(max_length=64, verbose_name=gettext_lazy("kind"))
    category = models.CharField(
        max_length=16, choices=Category.choices, verbose_name=gettext_lazy("category")
    )
    title = models.CharField(max_length=200, verbose_name=gettext_lazy("title"))
    body = models.TextField(max_length=1000, blank=True, verbose_name=gettext_lazy("body"))
    # A path on this site where the message leads ("/appointments/<id>/"); never a secret.
    link = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("link"))
    # Whose appointment it is about (as its delivery's): showing it is a read of their record.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=gettext_lazy("patient"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("created at"))
    read_at = models.DateTimeField(null=True, blank=True, verbose_name=gettext_lazy("read at"))

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["recipient", "-created_at", "-id"], name="notif_recipient_idx"),
            # The bell's unread count.
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        # Translators: kind is a code such as "appointment.booked"; user is a number.
        return _("%(kind)s for user %(user)s") % {"kind": self.kind, "user": self.recipient_id}


class MessageTemplate(models.Model):
    """An administrator's wording of one message kind, for one channel and language.

    Django template syntax over the kind's context (notifications.catalog lists the names).
    Email: ``subject`` + ``body`` (text) + optional ``body_html``; SMS: ``body``; in-app:
    ``subject`` (the title) + ``body``."""

    kind = models.CharField(max_length=64, verbose_name=gettext_lazy("kind"))
    channel = models.CharField(
        max_length=8, choices=Channel.choices, verbose_name=gettext_lazy("channel")
    )
    language = models.CharField(
        max_length=16,
        choices=settings.COMMUNICATION_LANGUAGES,
        verbose_name=gettext_lazy("language"),
    )
    subject = models.CharField(max_length=300, blank=True, verbose_name=gettext_lazy("subject"))
    body = models.TextField(verbose_name=gettext_lazy("body"))
    body_html = models.TextField(gettext_lazy("HTML body"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("updated by"),
    )

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["kind", "channel", "language"], name="notif_template_unique"
            )
        ]
        ordering: ClassVar = ["kind", "channel", "language"]

    def __str__(self) -> str:
        return f"{self.kind} / {self.channel} / {self.language}"


class NotificationPreference(models.Model):
    """A person's choice for one category on one channel (no row: the catalog's default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=gettext_lazy("user"),
    )
    category = models.CharField(
        max_length=16, choices=Category.choices, verbose_name=gettext_lazy("category")
    )
    channel = models.CharField(
        max_length=8, choices=Channel.choices, verbose_name=gettext_lazy("channel")
    )
    enabled = models.BooleanField(verbose_name=gettext_lazy("enabled"))
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("updated at"))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "category", "channel"], name="notif_preference_unique"
            )
        ]

    def __str__(self) -> str:
        if self.enabled:
            # Translators: category and channel are codes, e.g. "reminders/sms: on".
            return _("%(category)s/%(channel)s: on") % {
                "category": self.category,
                "channel": self.channel,
            }
        # Translators: category and channel are codes, e.g. "reminders/sms: off".
        return _("%(category)s/%(channel)s: off") % {
            "category": self.category,
            "channel": self.channel,
        }


class NotificationSettings(models.Model):
    """Quiet hours, in the person's own time zone: SMS and live pushes wait until they end
    (security emails never wait)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=gettext_lazy("user"),
    )
    quiet_hours_start = models.TimeField(
        null=True, blank=True, verbose_name=gettext_lazy("quiet hours start")
    )
    quiet_hours_end = models.TimeField(
        null=True, blank=True, verbose_name=gettext_lazy("quiet hours end")
    )
    updated_at = models.DateTimeField(default=timezone.now, verbose_name=gettext_lazy("updated at"))

    class Meta:
        verbose_name_plural = gettext_lazy("notification settings")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(
                    Q(quiet_hours_start__isnull=True, quiet_hours_end__isnull=True)
                    | Q(quiet_hours_start__isnull=False, quiet_hours_end__isnull=False)
                ),
                name="notif_quiet_hours_both_or_none",
            )
        ]

    def __str__(self) -> str:
        return _("Notification settings of user %(user)s") % {"user": self.user_id}
