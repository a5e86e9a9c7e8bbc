"""Private calendar feeds: a revocable secret URL per user, stored as a digest."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from appointments.models import CalendarFeed
from appointments.models.feeds import feed_token_digest
from audit.services import record


@transaction.atomic
def calendar_feed_create(*, user: User, request: HttpRequest | None = None) -> str:
    """A new feed token (replacing any old one, which stops working). Shown once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_digest": feed_token_digest(token)}
    )
    record(action="appointments.calendar_feed_created", actor=user, target=user, request=request)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User, request: HttpRequest | None = None) -> bool:
    """Turn the user's feed off: its URL stops working at once."""
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        record(
            action="appointments.calendar_feed_revoked", actor=user, target=user, request=request
        )
    return bool(deleted)
