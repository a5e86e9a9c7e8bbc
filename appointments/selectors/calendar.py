"""Private calendar feeds: whose feed a secret URL is, and whether it still works."""

from __future__ import annotations

from accounts.models import User
from appointments.models import CalendarFeed
from appointments.models.feeds import feed_token_digest


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The feed (live or revoked) whose token this is, with its user, or None."""
    if not token or len(token) > 128:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_digest=feed_token_digest(token))
        .first()
    )


def calendar_feed_is_live(*, feed: CalendarFeed) -> bool:
    """Not revoked or replaced, and its owner's account is active."""
    return feed.revoked_at is None and feed.user.is_active


def calendar_feed_of(*, user: User) -> CalendarFeed | None:
    """The user's live feed, if any."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_exists(*, user: User) -> bool:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).exists()
