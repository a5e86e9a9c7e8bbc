"""Private calendar feeds: whose feed a secret URL is."""

from __future__ import annotations

from accounts.models import User
from appointments.models import CalendarFeed
from appointments.models.feeds import feed_token_digest


def calendar_feed_user(*, token: str) -> User | None:
    """The active user whose feed token this is, or None."""
    if not token or len(token) > 128:
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_digest=feed_token_digest(token))
        .first()
    )
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def calendar_feed_exists(*, user: User) -> bool:
    return CalendarFeed.objects.filter(user=user).exists()
