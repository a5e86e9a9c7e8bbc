"""Private calendar feeds: a revocable secret URL per user, stored as a digest."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from appointments.models import CalendarFeed
from audit.services import record


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User, request: HttpRequest | None = None) -> str:
    """A new feed token (replacing any old one, which stops working). Shown once."""
    token = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(user=user, defaults={"token_digest": _digest(token)})
    record(action="appointments.calendar_feed_created", actor=user, target=user, request=request)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User, request: HttpRequest | None = None) -> bool:
    deleted, _ = CalendarFeed.objects.filter(user=user).delete()
    if deleted:
        record(
            action="appointments.calendar_feed_revoked", actor=user, target=user, request=request
        )
    return bool(deleted)


def calendar_feed_user(*, token: str) -> User | None:
    if not token or len(token) > 128:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_digest=_digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
