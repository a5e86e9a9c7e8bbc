"""Browser sessions: Django's cached_db store (the cache, the database behind it), reading
the signed-in user's cached row in the same round trip as the session.

A signed-in page reads its session, then the user it names (accounts/auth_cache.py): two
round trips to Redis, one after the other, ~a fifth of the home page. This process
remembers which user (and second-factor device) each session was last found signed in as;
the next load of that session reads their cache entries with the session's data, in one
MGET. It is a guess of what to read, never of who is signed in: the session's data, read
in that same round trip, names the user, and ``session_user_of`` takes the entries only
when they are that user's and that device's (else it reads its own, as before), and only
under the user's current generation, as always. A session not cached, a cache that cannot
be reached, or a guess not yet made: Django's own load (and with the cache unreachable,
the database's copy, where Django's would fail storing it in the cache).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db, db
from django.core.cache import DEFAULT_CACHE_ALIAS
from django_otp import DEVICE_ID_SESSION_KEY
from redis.exceptions import RedisError

from accounts import auth_cache

# Session key -> (user id, device id) it was last found signed in as, in this process.
_SIGNED_IN_AS: dict[str, tuple[str, str | None]] = {}
SIGNED_IN_AS_MAX = 10_000


class SessionStore(cached_db.SessionStore):
    # The user's cache entries read with the session (auth_cache.user_get takes them).
    prefetched_user: auth_cache.PrefetchedUser | None = None

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] | None = None
        key = self.session_key
        guess = _SIGNED_IN_AS.get(key) if key else None
        if guess is not None and settings.SESSION_CACHE_ALIAS == DEFAULT_CACHE_ALIAS:
            found = auth_cache.session_with_user(
                cache_key=self.cache_key, user_id=guess[0], device_id=guess[1]
            )
            if found is not None:
                data, self.prefetched_user = found
        if not isinstance(data, dict):
            # Not cached (or the cache is unreachable): Django's load, from the database.
            try:
                data = super().load()
            except (RedisError, OSError):
                # cached_db keeps what it read from the database in the cache, unguarded: with
                # the cache unreachable, the database's copy alone (as the db store reads it).
                data = db.SessionStore.load(self)
        if key:
            _remember(key, data)
        return data


def _remember(key: str, data: dict[str, Any]) -> None:
    user_id = data.get(SESSION_KEY)
    if user_id is None:
        _SIGNED_IN_AS.pop(key, None)
        return
    device_id = data.get(DEVICE_ID_SESSION_KEY)
    if len(_SIGNED_IN_AS) >= SIGNED_IN_AS_MAX:
        _SIGNED_IN_AS.clear()
    _SIGNED_IN_AS[key] = (str(user_id), device_id if isinstance(device_id, str) else None)
