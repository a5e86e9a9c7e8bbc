"""Making messages: one call per message and person writes its deliveries (and the in-app
notification) in the caller's transaction, and queues them once it commits.

Who gets what on which channel is decided here, once, for every message: the person's
preferences per category and channel (security messages cannot be switched off), a verified
phone for SMS, quiet hours for SMS and live pushes, the person's language and time zone.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from accounts.models import User
from accounts.selectors.profiles import messaging_facts_of
from core.links import public_url
from notifications import catalog
from notifications.models import (
    Category,
    Channel,
    Delivery,
    Notification,
    NotificationPreference,
    NotificationSettings,
)
from notifications.services.rendering import context_for_storage, render_message
from notifications.services.unread import unread_count_forget

logger = logging.getLogger(__name__)

# Without a preference row: on, except SMS, which costs the person attention (and the
# hospital money) and is on only for what cannot wait.
_SMS_ON_BY_DEFAULT = frozenset({Category.REMINDERS, Category.WAITLIST})


def channel_enabled_by_default(*, category: str, channel: str) -> bool:
    return channel != Channel.SMS or category in _SMS_ON_BY_DEFAULT


@dataclass(frozen=True)
class Choices:
    """A person's preferences and quiet hours, read once per message."""

    enabled: Mapping[tuple[str, str], bool]
    quiet_start: datetime.time | None
    quiet_end: datetime.time | None

    def wants(self, *, category: str, channel: str) -> bool:
        chosen = self.enabled.get((category, channel))
        return (
            chosen
            if chosen is not None
            else channel_enabled_by_default(category=category, channel=channel)
        )


def choices_of(*, user: User) -> Choices:
    enabled = {
        (category, channel): on
        for category, channel, on in NotificationPreference.objects.filter(user=user).values_list(
            "category", "channel", "enabled"
        )
    }
    quiet = (
        NotificationSettings.objects.filter(user=user)
        .values_list("quiet_hours_start", "quiet_hours_end")
        .first()
    )
    return Choices(
        enabled=enabled,
        quiet_start=quiet[0] if quiet else None,
        quiet_end=quiet[1] if quiet else None,
    )


def quiet_hours_end(
    *,
    at: datetime.datetime,
    zone: zoneinfo.ZoneInfo,
    start: datetime.time | None,
    end: datetime.time | None,
) -> datetime.datetime | None:
    """When the quiet hours that ``at`` falls in end (UTC), or None if it is not in them.
    Hours may span midnight (22:00-07:00). On a day the clocks change, the end is the local
    time as it exists that day (a gap moves it forward)."""
    if start is None or end is None or start == end:
        return None
    local = at.astimezone(zone)
    now = local.timetz().replace(tzinfo=None)
    if start < end:
        inside = start <= now < end
        end_day = local.date()
    else:
        inside = now >= start or now < end
        end_day = local.date() + datetime.timedelta(days=1) if now >= start else local.date()
    if not inside:
        return None
    naive_end = datetime.datetime.combine(end_day, end)
    # Round trip through UTC: a wall time in a spring-forward gap becomes the first real one.
    return naive_end.replace(tzinfo=zone).astimezone(datetime.UTC)


def dedupe_digest(*parts: object) -> str:
    """A short stable key for what caused a message (event name and payload, or a reminder's
    appointment, start and hour)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]


def notify(
    *,
    kind: str,
    user: User,
    context: Mapping[str, object],
    key: str,
    link: str = "",
    topic: str = "",
    due_at: datetime.datetime | None = None,
    channels: Iterable[str] | None = None,
    patient: User | None = None,
) -> list[Delivery]:
    """Write the deliveries of one ``kind`` of message to ``user``, in the current transaction.

    ``key`` identifies what caused it (the same key never makes the same message twice);
    ``context`` holds the template's values (never clinical detail), ``link`` a path on this
    site, ``topic`` what it is about ("appointment:<public id>"); ``due_at`` a time to send it (reminders), otherwise now; ``patient`` whose appointment it is
    about (sending or showing it is audited as a read of their record). Returns the deliveries
    created (none for a deactivated account, except the notice that it was deactivated)."""
    message_kind = catalog.message_kind(kind)
    if not user.is_active and kind != "security.account_deactivated":
        return []
    facts = messaging_facts_of(user=user)
    choices = choices_of(user=user)
    now = timezone.now()
    due = due_at or now
    full_context: dict[str, object] = {
        "site_name": settings.SITE_NAME,
        "recipient_name": user.get_full_name(),
        "time_zone": facts.zone.key,
        "link": absolute_url(link) if link else "",
        **context,
    }
    wanted = tuple(channels) if channels is not None else message_kind.channels
    # A second run for the same cause (a redelivered event) makes nothing new.
    made_already = set(
        Delivery.objects.filter(
            dedupe_key__in=[_dedupe_key(kind, key, channel, user) for channel in wanted]
        ).values_list("dedupe_key", flat=True)
    )
    deliveries: list[Delivery] = []
    for channel in message_kind.channels:
        dedupe_key = _dedupe_key(kind, key, channel, user)
        if channel not in wanted or dedupe_key in made_already:
            continue
        if not message_kind.mandatory and not choices.wants(
            category=message_kind.category, channel=channel
        ):
            continue
        addresses: dict[str, str] = {
            Channel.EMAIL: user.email,
            Channel.SMS: facts.verified_phone,
        }
        address = addresses.get(channel, "")
        if channel != Channel.IN_APP and not address:
            continue
        send_at = due
        if channel in (Channel.SMS, Channel.IN_APP):
            quiet_end = quiet_hours_end(
                at=due, zone=facts.zone, start=choices.quiet_start, end=choices.quiet_end
            )
            send_at = quiet_end or due
        delivery = Delivery(
            dedupe_key=dedupe_key,
            topic=topic,
            kind=kind,
            category=message_kind.category,
            channel=channel,
            recipient=user,
            patient=patient,
            address=address,
            language=facts.language,
            context=context_for_storage(full_context),
            next_attempt_at=send_at,
            # Queued at the commit (below) when due now; the sweep queues the others when
            # their time comes.
            queued_at=now if send_at <= now else None,
            created_at=now,
            status_changed_at=now,
        )
        if channel == Channel.IN_APP and due <= now:
            # Under the bell at once, even while no worker runs; the live push may wait for
            # quiet hours to end.
            notification = notification_create(delivery=delivery, link=link)
            delivery.notification = notification
            delivery.provider_message_id = str(notification.public_id)
        deliveries.append(delivery)
    if not deliveries:
        return []
    # The unique key is the backstop: a concurrent run for the same cause fails here and
    # its transaction (an outbox handler's) is retried, finding these rows.
    created = Delivery.objects.bulk_create(deliveries)
    queue_after_commit([d for d in created if d.queued_at is not None])
    return created


def _dedupe_key(kind: str, key: str, channel: str, user: User) -> str:
    return f"{kind}:{key}:{channel}:{user.pk}"[:200]


def notification_create(*, delivery: Delivery, link: str) -> Notification:
    """The in-app message of an in-app delivery, in the recipient's language and zone."""
    assert delivery.recipient is not None  # noqa: S101 - in-app deliveries have a recipient
    rendered = render_message(
        kind=delivery.kind,
        channel=Channel.IN_APP,
        language=delivery.language,
        context=delivery.context,
    )
    unread_count_forget(user_id=delivery.recipient.pk)
    return Notification.objects.create(
        recipient=delivery.recipient,
        kind=delivery.kind,
        category=delivery.category,
        title=rendered.subject[:200],
        body=rendered.text[:1000],
        link=link,
        patient_id=delivery.patient_id,
    )


def absolute_url(path: str) -> str:
    return public_url(path)


def queue_after_commit(deliveries: Iterable[Delivery]) -> None:
    """Hand the deliveries to the broker once the transaction commits. A broker that is
    down is logged, not raised: the rows stay pending and the sweep queues them."""
    by_channel: dict[str, list[int]] = {}
    for delivery in deliveries:
        by_channel.setdefault(delivery.channel, []).append(delivery.pk)
    if by_channel:
        transaction.on_commit(lambda: queue_now(by_channel), robust=True)


def queue_now(by_channel: Mapping[str, list[int]]) -> list[int]:
    """Send one task per delivery to its channel's queue; returns the ids the broker took
    (it stops at the first refusal: a broker that is away refuses the rest too)."""
    from notifications import tasks

    queued: list[int] = []
    for channel, ids in by_channel.items():
        task = tasks.TASK_OF_CHANNEL[channel]
        for delivery_id in ids:
            try:
                task.apply_async(args=(delivery_id,), retry=False)
            except (KombuOperationalError, OSError):  # the broker is away: the sweep queues later
                logger.warning(
                    "Delivery %s not queued (broker unavailable); the sweep will queue it",
                    delivery_id,
                    exc_info=True,
                )
                return queued
            queued.append(delivery_id)
    return queued
