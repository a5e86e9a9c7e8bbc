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
be reached, or a guess not yet made: cached_db's own load.

And an outage of the cache neither breaks nor keeps open a session: with the cache
unreachable, sessions are read from and written to the database alone (Django's cached_db
raised on its cache writes and deletes: every signed-in page, sign-in and sign-out answered
500); a cached copy lives CACHED_COPY_SECONDS at most, so one that could not be removed when
its session ended is gone within 5 minutes, as tokens and users are.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db, db
from django.core.cache import DEFAULT_CACHE_ALIAS
from django.core.cache.backends.base import BaseCache
from django_otp import DEVICE_ID_SESSION_KEY
from redis.exceptions import RedisError

from accounts import auth_cache

logger = logging.getLogger(__name__)

# Session key -> (user id, device id) it was last found signed in as, in this process.
_SIGNED_IN_AS: dict[str, tuple[str, str | None]] = {}
SIGNED_IN_AS_MAX = 10_000
# How long a cached copy of a session lives (the database keeps the session for its whole
# lifetime): a copy that could not be removed when the session ended or changed (the cache
# unreachable then) is gone within this time, the bound the authentication cache keeps for
# tokens and users (auth_cache.TOKEN_TTL_CAP).
CACHED_COPY_SECONDS = auth_cache.TOKEN_TTL_CAP
_CACHE_ERRORS = (RedisError, OSError)


class SessionStore(cached_db.SessionStore):
    _cache: BaseCache  # set by cached_db
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
            data = self._cached_db_load()
        if key:
            _remember(key, data)
        return data

    def _cached_db_load(self) -> dict[str, Any]:
        # cached_db's load, with the copy kept for CACHED_COPY_SECONDS at most, and without
        # the cache (unreachable, or a value it cannot read back) the database's alone.
        try:
            data = self._cache.get(self.cache_key)
        except Exception:  # as Django's: any error reading the cache means a miss
            data = None
        if isinstance(data, dict):
            return data
        session = self._get_session_from_db()  # type: ignore[attr-defined]
        if not session:
            return {}
        data = self.decode(session.session_data)
        self._keep_copy(data, self.get_expiry_age(expiry=session.expire_date))
        return data

    def _keep_copy(self, data: dict[str, Any], expiry_age: int) -> None:
        try:
            self._cache.set(self.cache_key, data, min(expiry_age, CACHED_COPY_SECONDS))
        except _CACHE_ERRORS:
            logger.warning("A session could not be copied to the cache; read from the database.")

    def exists(self, session_key: str) -> bool:
        # Asked when a new key is made (sign-in): the database has every session.
        return bool(session_key) and db.SessionStore.exists(self, session_key)

    def save(self, must_create: bool = False) -> None:
        db.SessionStore.save(self, must_create)
        self._keep_copy(self._get_session(), self.get_expiry_age())  # type: ignore[attr-defined]

    def delete(self, session_key: str | None = None) -> None:
        db.SessionStore.delete(self, session_key)
        key = session_key or self.session_key
        if key is None:
            return
        _SIGNED_IN_AS.pop(key, None)
        try:
            self._cache.delete(self.cache_key_prefix + key)
        except _CACHE_ERRORS:
            # Signed out in the database; the copy left in the cache is gone within
            # CACHED_COPY_SECONDS. Failing the sign-out instead would leave the session open.
            logger.warning("A signed-out session could not be removed from the cache.")


def _remember(key: str, data: dict[str, Any]) -> None:
    user_id = data.get(SESSION_KEY)
    if user_id is None:
        _SIGNED_IN_AS.pop(key, None)
        return
    device_id = data.get(DEVICE_ID_SESSION_KEY)
    if len(_SIGNED_IN_AS) >= SIGNED_IN_AS_MAX:
        _SIGNED_IN_AS.clear()
    _SIGNED_IN_AS[key] = (str(user_id), device_id if isinstance(device_id, str) else None)
