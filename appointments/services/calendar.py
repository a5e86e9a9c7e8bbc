"""Private calendar feeds: a revocable secret URL per user, stored as a digest.

A user has at most one live feed. Replacing or revoking one keeps its row (marked revoked), so
its URL answers 410 Gone and calendar apps stop asking; the database allows one live feed per
user (migration 0007)."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments.errors import CalendarFeedNotFound
from appointments.models import CalendarFeed
from appointments.models.feeds import feed_token_digest
from audit.services import record


def _checked_mode(title_mode: str) -> CalendarFeed.TitleMode:
    if title_mode not in CalendarFeed.TitleMode.values:
        raise ValidationError({"title_mode": _("Choose detailed or neutral titles.")})
    return CalendarFeed.TitleMode(title_mode)


def _revoke_live(*, user: User) -> CalendarFeed | None:
    """Mark the user's live feed revoked; returns it as it was (for its title mode)."""
    live = CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
    feed = live.first()
    if feed is not None:
        live.update(revoked_at=timezone.now())
    return feed


@transaction.atomic
def calendar_feed_create(
    *, user: User, title_mode: str | None = None, request: HttpRequest | None = None
) -> str:
    """A new feed token (replacing any old one, whose URL then answers 410). Shown once.

    ``title_mode`` as the owner chose (``CalendarFeed.TitleMode``); by default the old
    feed's, or detailed."""
    chosen = _checked_mode(title_mode) if title_mode else None
    token = secrets.token_urlsafe(32)
    for attempt in range(2):
        previous = _revoke_live(user=user)
        mode = chosen or (previous.title_mode if previous else CalendarFeed.TitleMode.DETAILED)
        try:
            with transaction.atomic():
                CalendarFeed.objects.create(
                    user=user, token_digest=feed_token_digest(token), title_mode=mode
                )
            break
        except IntegrityError:
            # A concurrent request made a live feed between our lock and insert: replace it.
            if attempt:
                raise
    record(
        action="appointments.calendar_feed_created",
        actor=user,
        target=user,
        request=request,
        details={"title_mode": mode},
    )
    return token


@transaction.atomic
def calendar_feed_set_title_mode(
    *, user: User, title_mode: str, request: HttpRequest | None = None
) -> CalendarFeed:
    """How the live feed titles events: detailed, or neutral "Hospital appointment" for
    calendars kept by another company. The URL stays the same. Choosing the current mode
    changes nothing and is not audited."""
    chosen = _checked_mode(title_mode)
    feed = (
        CalendarFeed.objects.select_for_update().filter(user=user, revoked_at__isnull=True).first()
    )
    if feed is None:
        raise CalendarFeedNotFound()
    if feed.title_mode == chosen:
        return feed
    feed.title_mode = chosen
    feed.save(update_fields=["title_mode"])
    record(
        action="appointments.calendar_feed_changed",
        actor=user,
        target=user,
        request=request,
        details={"title_mode": feed.title_mode},
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, user: User, request: HttpRequest | None = None) -> bool:
    """Turn the user's feed off: its URL answers 410 Gone at once."""
    revoked = _revoke_live(user=user) is not None
    if revoked:
        record(
            action="appointments.calendar_feed_revoked", actor=user, target=user, request=request
        )
    return revoked
