"""Reads of the notifications app: a person's own messages and choices, nobody else's."""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from accounts.selectors.profiles import messaging_facts_of
from accounts.selectors.sessions import NOT_READ_ALONG, value_read_along
from audit.access import viewed
from audit.services import AuditTarget
from notifications import catalog
from notifications.models import (
    Category,
    Channel,
    Delivery,
    Notification,
    NotificationSettings,
)
from notifications.services.dispatch import choices_of
from notifications.services.unread import UNREAD_CACHE_SECONDS, unread_cache_key


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """The person's in-app messages, newest first (only their own, whoever asks)."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_of(*, user: User, public_id: uuid.UUID | str) -> Notification | None:
    return notifications_of(user=user).filter(public_id=public_id).first()


INBOX = AuditTarget("notifications.inbox")


def inbox_shown(notifications: Iterable[Notification], *, request: HttpRequest) -> None:
    """A page of the inbox (the website's or the API's) shows each message's patient: a
    clinician's "A. Morgan booked" is a read of A. Morgan's record (audit/access.py)."""
    viewed(
        patients=[message.patient_id for message in notifications], target=INBOX, request=request
    )


def unread_count_of(*, user: User, request: HttpRequest | None = None) -> int:
    """How many of the person's messages are unread: from the cache when it is there (most
    pages: read in the session's own round trip, accounts.auth_cache.read_along), else one
    count over a partial index."""
    key = unread_cache_key(user.pk)
    cached = (
        value_read_along(request=request, user=user, key=key)
        if request is not None
        else NOT_READ_ALONG
    )
    if cached is NOT_READ_ALONG:
        try:
            cached = cache.get(key)
        except Exception:  # a cache that is down costs a query, not the page
            cached = None
    if isinstance(cached, int):
        return cached
    count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    # The count is right without the cache.
    with contextlib.suppress(Exception):
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return count


@dataclass(frozen=True)
class PreferenceChoice:
    category: str
    category_label: str
    channel: str
    channel_label: str
    enabled: bool
    # Security messages by email and in the app cannot be switched off.
    locked: bool
    # SMS needs a verified phone (a confirmed text-message sign-in factor).
    available: bool

    @property
    def field_name(self) -> str:
        return f"{self.category}.{self.channel}"


def categories_for(*, user: User) -> list[str]:
    if user.is_staff_member:
        return [Category.SCHEDULE, Category.SECURITY]
    return [Category.APPOINTMENTS, Category.REMINDERS, Category.WAITLIST, Category.SECURITY]


def channels_of_category(category: str) -> list[str]:
    """The channels some kind of the category is sent on."""
    channels: list[str] = []
    for kind in catalog.KINDS.values():
        if kind.category == category and kind.kind != catalog.MAIL_KIND:
            channels += [c for c in kind.channels if c not in channels]
    return [c for c in Channel.values if c in channels]


def preference_choices_of(*, user: User) -> list[PreferenceChoice]:
    """Every category x channel the person may choose, with their current choice."""
    choices = choices_of(user=user)
    phone = messaging_facts_of(user=user).verified_phone
    rows = []
    for category in categories_for(user=user):
        for channel in channels_of_category(category):
            locked = category == Category.SECURITY
            rows.append(
                PreferenceChoice(
                    category=category,
                    category_label=str(Category(category).label),
                    channel=channel,
                    channel_label=str(Channel(channel).label),
                    enabled=True if locked else choices.wants(category=category, channel=channel),
                    locked=locked,
                    available=channel != Channel.SMS or bool(phone),
                )
            )
    return rows


def quiet_hours_of(*, user: User) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(user=user).first()


@dataclass(frozen=True)
class DeliveryHealth:
    """What an operator asks first: is anything stuck, is anything failing."""

    pending_due: int
    oldest_pending_due_seconds: float | None
    scheduled: int
    failed_last_hour: int
    sent_last_hour: int
    by_status_last_day: dict[str, int]


def delivery_health(*, now: datetime.datetime | None = None) -> DeliveryHealth:
    now = now or timezone.now()
    pending = Delivery.objects.filter(status=Delivery.Status.PENDING)
    due = pending.filter(next_attempt_at__lte=now)
    oldest = due.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    hour_ago = now - datetime.timedelta(hours=1)
    day_ago = now - datetime.timedelta(days=1)
    by_status = dict(
        Delivery.objects.filter(created_at__gte=day_ago)
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return DeliveryHealth(
        pending_due=due.count(),
        oldest_pending_due_seconds=(now - oldest).total_seconds() if oldest else None,
        scheduled=pending.filter(next_attempt_at__gt=now).count(),
        failed_last_hour=Delivery.objects.filter(
            status=Delivery.Status.FAILED, status_changed_at__gte=hour_ago
        ).count(),
        sent_last_hour=Delivery.objects.filter(sent_at__gte=hour_ago).count(),
        by_status_last_day=by_status,
    )


def delivery_backlog_older_than(*, seconds: int, now: datetime.datetime | None = None) -> bool:
    """A delivery due longer ago than ``seconds`` and still not sent (the partial index of
    pending rows answers it)."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        status=Delivery.Status.PENDING,
        next_attempt_at__lt=now - datetime.timedelta(seconds=seconds),
    ).exists()
