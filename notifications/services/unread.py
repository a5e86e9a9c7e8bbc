"""The bell's unread count, cached between pages and forgotten when it changes."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

UNREAD_CACHE_SECONDS = 300


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_cache_key_of(user_id: str) -> str:
    """The same key from the id as the session store knows it (a string)."""
    return unread_cache_key(int(user_id))


def unread_count_forget(*, user_id: int) -> None:
    """The cached count is wrong from the commit on: forget it then."""

    def forget() -> None:
        try:
            cache.delete(unread_cache_key(user_id))
        except Exception:  # the cache expires the count on its own
            logger.warning("Could not forget a cached unread count", exc_info=True)

    transaction.on_commit(forget, robust=True)
