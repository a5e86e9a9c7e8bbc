"""The authentication cache: what a signed-in request needs to know about its session, kept
in the Django cache (Redis in production) so that a read costs no session query and no write.

Two kinds of entries:

- ``tokens``: an access token's digest -> the token's expiry and its session's row. Filled
  from the database on a miss, for at most the token's remaining lifetime and
  ``TOKEN_TTL_CAP``. Ending a session (logout, revoke, password change or reset,
  deactivation, role change, refresh-token rotation or reuse, expiry) or changing it (a second
  factor passed) overwrites the entries of its access tokens with a tombstone before its
  transaction commits. A fill only ever *adds* (Redis SET NX), never overwrites, so a request
  that read the database before the change cannot put the old state back. A tombstone reads
  as a miss: the database decides.
- ``sessions``: a browser session's public id -> its record's primary key and last activity,
  the clock of the idle timeout. It carries no authority (ending a browser session deletes its
  Django session), so it is simply overwritten when the activity is recorded. Each process
  also keeps its own copy: the last activity only ever moves forward, so an older copy still
  proves "not idle" and "nothing to record yet"; when it says otherwise, the shared entry (or
  the database) is asked again before anything is done.

The cache is never the authority and never a reason to fail: an unreachable cache (Redis
down) reads as a miss, and is left alone for ``DOWN_BACKOFF_SECONDS`` so that requests do not
each wait for its timeouts; they authenticate against the database meanwhile.
"""

from __future__ import annotations

import datetime
import logging
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from redis.exceptions import RedisError

from accounts.models import AuthSession
from core.metrics import cache_lookup

logger = logging.getLogger(__name__)

# A deactivated user or a changed session is seen within this time even if an invalidation
# was lost (a cache that was unreachable when the session ended).
TOKEN_TTL_CAP = 300
# Browser-session activity entries are refreshed whenever the activity is recorded.
WEB_ACTIVITY_TTL = 15 * 60
DOWN_BACKOFF_SECONDS = 5.0

_PREFIX = "auth:v1"
_TOMBSTONE = "ended"
_SESSION_FIELDS = tuple(field.attname for field in AuthSession._meta.concrete_fields)
_CACHE_ERRORS = (RedisError, OSError)

_down_until: weakref.WeakKeyDictionary[BaseCache, float] = weakref.WeakKeyDictionary()
_Result = TypeVar("_Result")


def _cache() -> BaseCache | None:
    """The cache to use now, or None while it is known to be unreachable."""
    backend = caches[DEFAULT_CACHE_ALIAS]
    if _down_until.get(backend, 0.0) > time.monotonic():
        return None
    return backend


def _guarded(operation: Callable[[BaseCache], _Result], default: _Result) -> _Result:
    backend = _cache()
    if backend is None:
        return default
    try:
        return operation(backend)
    except _CACHE_ERRORS:
        logger.warning(
            "The authentication cache is unreachable; using the database for %.0f s.",
            DOWN_BACKOFF_SECONDS,
            exc_info=True,
        )
        _down_until[backend] = time.monotonic() + DOWN_BACKOFF_SECONDS
        return default


def _token_key(digest: str) -> str:
    return f"{_PREFIX}:token:{digest}"


def _token_seen_key(digest: str) -> str:
    return f"{_PREFIX}:token-seen:{digest}"


def _web_key(public_id: str) -> str:
    return f"{_PREFIX}:web:{public_id}"


# --- access tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedToken:
    """A live access token as the cache holds it: its session (without the user) and expiry."""

    session: AuthSession
    expires_at: datetime.datetime


def token_get(*, digest: str) -> CachedToken | None:
    """The cached state of an access token, or None (a miss, a tombstone, no cache).
    The session's ``last_seen_at`` includes the last activity recorded through the cache."""
    keys = [_token_key(digest), _token_seen_key(digest)]
    found: dict[str, Any] = _guarded(lambda cache: cache.get_many(keys), {})
    entry = found.get(keys[0])
    if not (isinstance(entry, tuple) and len(entry) == 3 and entry[0] == _SESSION_FIELDS):
        cache_lookup("tokens", hit=False)
        return None
    cache_lookup("tokens", hit=True)
    _, expires_at, values = entry
    session = AuthSession.from_db(AuthSession.objects.db, list(_SESSION_FIELDS), list(values))
    seen = found.get(keys[1])
    if isinstance(seen, datetime.datetime) and seen > session.last_seen_at:
        session.last_seen_at = seen
    return CachedToken(session=session, expires_at=expires_at)


def token_keep(
    *, digest: str, session: AuthSession, expires_at: datetime.datetime, now: datetime.datetime
) -> None:
    """Remember a live access token read from the database (never over a tombstone)."""
    lifetime = min(expires_at, session.expires_at) - now
    timeout = min(int(lifetime.total_seconds()), TOKEN_TTL_CAP)
    if timeout <= 0:
        return
    values = tuple(getattr(session, name) for name in _SESSION_FIELDS)
    entry = (_SESSION_FIELDS, expires_at, values)
    _guarded(lambda cache: cache.add(_token_key(digest), entry, timeout), False)


def token_seen(*, digest: str, at: datetime.datetime) -> None:
    """Activity of the token's session was recorded at ``at`` (in the database, by this
    request or a concurrent one): later requests need not record it again within the minute."""
    _guarded(lambda cache: cache.set(_token_seen_key(digest), at, TOKEN_TTL_CAP), None)


def tokens_forget(*, digests: Iterable[str]) -> None:
    """The sessions of these access tokens ended or changed: no cached state may be used for
    them, and none may be added back from an earlier read."""
    tombstones = {_token_key(digest): _TOMBSTONE for digest in digests}
    if tombstones:
        _guarded(lambda cache: cache.set_many(tombstones, TOKEN_TTL_CAP), [])


# --- browser sessions ---------------------------------------------------------------------


@dataclass(frozen=True)
class WebActivity:
    """A browser session's record: its key and when it was last seen active."""

    session_id: int
    last_seen_at: datetime.datetime


# This process's copies (a lower bound of the shared ones), bounded.
_local_activity: dict[str, WebActivity] = {}
LOCAL_ACTIVITY_MAX = 10_000


def _local_keep(public_id: str, activity: WebActivity) -> None:
    if len(_local_activity) >= LOCAL_ACTIVITY_MAX:
        _local_activity.clear()
    known = _local_activity.get(public_id)
    if known is None or known.last_seen_at <= activity.last_seen_at:
        _local_activity[public_id] = activity


def web_activity_get(*, public_id: str, shared: bool = False) -> WebActivity | None:
    """The session's activity as this process last knew it, or (``shared``, or unknown here)
    as the shared cache has it; None when neither has it."""
    if not shared:
        local = _local_activity.get(public_id)
        if local is not None:
            cache_lookup("sessions", hit=True)
            return local
    entry = _guarded(lambda cache: cache.get(_web_key(public_id)), None)
    hit = isinstance(entry, tuple) and len(entry) == 2
    cache_lookup("sessions", hit=hit)
    if not hit:
        return None
    activity = WebActivity(session_id=entry[0], last_seen_at=entry[1])
    _local_keep(public_id, activity)
    return activity


def web_activity_keep(*, public_id: str, activity: WebActivity) -> None:
    _local_keep(public_id, activity)
    entry = (activity.session_id, activity.last_seen_at)
    _guarded(lambda cache: cache.set(_web_key(public_id), entry, WEB_ACTIVITY_TTL), None)


def web_activity_forget(*, public_ids: Iterable[str]) -> None:
    keys = []
    for public_id in public_ids:
        _local_activity.pop(public_id, None)
        keys.append(_web_key(public_id))
    if keys:
        _guarded(lambda cache: cache.delete_many(keys), None)
