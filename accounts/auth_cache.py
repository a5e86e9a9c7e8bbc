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
- ``users``: a user's row (without the password hash) and the hash their browser sessions
  carry, for the requests that authenticate as them (a browser session or an access token)
  instead of a query each. Valid only while the user's *generation* is the one it was read
  under: every save or deletion of a user moves the generation on, before its transaction
  commits and again after it, so an entry filled from a read made in between is never used.
  A deactivation, a password, role or any other change of the row is seen by the next request.
  The second-factor device a browser session passed is kept the same way (whose it is and
  whether it is confirmed, no secret), under its user's generation: a change to any device
  of the user moves it on too.

The cache is never the authority and never a reason to fail: an unreachable cache (Redis
down) reads as a miss, and is left alone for ``DOWN_BACKOFF_SECONDS`` so that requests do not
each wait for its timeouts; they authenticate against the database meanwhile.
"""

from __future__ import annotations

import datetime
import logging
import secrets
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.utils.crypto import salted_hmac
from django_otp.models import Device
from redis.exceptions import RedisError

from accounts.models import AuthSession, User
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


def _guarded(
    operation: Callable[[BaseCache], _Result], default: _Result, *, invalidation: bool = False
) -> _Result:
    """``operation`` on the cache, or ``default`` while it is known to be unreachable (or
    when it fails). An ``invalidation`` is tried whatever an earlier failure said: skipping
    it because of a hiccup a second ago would leave what it forgets usable elsewhere, for
    as long as the entries live (TOKEN_TTL_CAP)."""
    backend = caches[DEFAULT_CACHE_ALIAS] if invalidation else _cache()
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


def _token_user_key(digest: str) -> str:
    return f"{_PREFIX}:token-user:{digest}"


def _web_key(public_id: str) -> str:
    return f"{_PREFIX}:web:{public_id}"


# --- access tokens ------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedToken:
    """A live access token as the cache holds it: its session (without the user) and expiry,
    and, when the cache could say in the same round trip, what it holds of the session's user
    (None: ask ``user_get``)."""

    session: AuthSession
    expires_at: datetime.datetime
    user: UserLookup | None = None


# On Redis, a token and its user are read in one round trip: the token's entries, the user's
# key (kept beside them), and that user's entry and generation. Keys of the user are the
# cache's full keys up to the id (ARGV), which the default key function allows.
_LUA_SESSION_AND_USER = """
local found = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
local user_id = found[3]
if user_id then
    local user = redis.call('MGET', ARGV[1] .. user_id, ARGV[2] .. user_id)
    found[4] = user[1]
    found[5] = user[2]
end
return found
"""


@dataclass(frozen=True)
class _Redis:
    client: Any  # redis.Redis
    run: Callable[..., Any]  # the registered script
    make_key: Callable[[str], str]
    loads: Callable[[bytes], Any]


_redis_of: weakref.WeakKeyDictionary[BaseCache, _Redis | None] = weakref.WeakKeyDictionary()


def _redis(backend: BaseCache) -> _Redis | None:
    """The script runner of a Redis cache (Django's backend, or the project's), None for
    another kind of cache or a key function that does not end with the key."""
    if backend in _redis_of:
        return _redis_of[backend]
    found: _Redis | None = None
    client_of: Any = getattr(getattr(backend, "_cache", None), "get_client", None)
    loads: Any = getattr(
        getattr(getattr(backend, "_cache", None), "_serializer", None), "loads", None
    )
    if (
        isinstance(backend, RedisCache)
        and client_of is not None
        and loads is not None
        and backend.make_key("1") == backend.make_key("") + "1"
    ):
        client = client_of(None, write=False)
        found = _Redis(
            client=client,
            run=client.register_script(_LUA_SESSION_AND_USER),
            make_key=backend.make_key,
            loads=loads,
        )
    _redis_of[backend] = found
    return found


def _token_and_user(backend: BaseCache, digest: str) -> list[Any]:
    """[token entry, seen, user id, user entry, user generation], None where missing."""
    redis = _redis(backend)
    if redis is None:
        keys = [_token_key(digest), _token_seen_key(digest)]
        found = backend.get_many(keys)
        return [found.get(keys[0]), found.get(keys[1]), None, None, None]
    make_key = redis.make_key
    raw = redis.run(
        keys=[
            make_key(_token_key(digest)),
            make_key(_token_seen_key(digest)),
            make_key(_token_user_key(digest)),
        ],
        args=[make_key(_user_key("")), make_key(_user_generation_key(""))],
    )
    values = [None if value is None else redis.loads(value) for value in raw]
    return values + [None] * (5 - len(values))


def token_get(*, digest: str) -> CachedToken | None:
    """The cached state of an access token, or None (a miss, a tombstone, no cache).
    The session's ``last_seen_at`` includes the last activity recorded through the cache."""
    found: list[Any] = _guarded(lambda cache: _token_and_user(cache, digest), [None] * 5)
    entry, seen, user_id, user_entry, generation = found
    if not (isinstance(entry, tuple) and len(entry) == 3 and entry[0] == _SESSION_FIELDS):
        cache_lookup("tokens", hit=False)
        return None
    cache_lookup("tokens", hit=True)
    _, expires_at, values = entry
    session = AuthSession.from_db(AuthSession.objects.db, list(_SESSION_FIELDS), list(values))
    if isinstance(seen, datetime.datetime) and seen > session.last_seen_at:
        session.last_seen_at = seen
    user = None
    if user_id is not None and user_id == session.user_id:
        user = _user_lookup(user_id, user_entry, generation)
    return CachedToken(session=session, expires_at=expires_at, user=user)


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
    if _guarded(lambda cache: cache.add(_token_key(digest), entry, timeout), False):
        # Whose token it is (it never changes): the user is read with the token.
        _guarded(lambda cache: cache.set(_token_user_key(digest), session.user_id, timeout), None)


def token_seen(*, digest: str, at: datetime.datetime) -> None:
    """Activity of the token's session was recorded at ``at`` (in the database, by this
    request or a concurrent one): later requests need not record it again within the minute."""
    _guarded(lambda cache: cache.set(_token_seen_key(digest), at, TOKEN_TTL_CAP), None)


def tokens_forget(*, digests: Iterable[str]) -> None:
    """The sessions of these access tokens ended or changed: no cached state may be used for
    them, and none may be added back from an earlier read."""
    tombstones = {_token_key(digest): _TOMBSTONE for digest in digests}
    if not tombstones:
        return

    def forget() -> None:
        _guarded(lambda cache: cache.set_many(tombstones, TOKEN_TTL_CAP), [], invalidation=True)

    forget()
    # Once more after the commit: a write that failed now may succeed then (a tombstone is
    # only ever right for an ended token).
    transaction.on_commit(forget)


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
        _guarded(lambda cache: cache.delete_many(keys), None, invalidation=True)


# --- users --------------------------------------------------------------------------------

# At most this long even if a generation move was lost (a cache unreachable at the time).
USER_TTL = TOKEN_TTL_CAP
# Generations outlive their entries; one that expired or was evicted reads as a miss.
USER_GENERATION_TTL = 24 * 60 * 60
# Never in the cache: the password hash (the session's HMAC of it is kept instead).
_USER_FIELDS = tuple(
    field.attname for field in User._meta.concrete_fields if field.attname != "password"
)


def _secret_id() -> str:
    """Which SECRET_KEY made the kept session hashes: processes with another key (a rotation
    under way) neither use nor overwrite each other's entries."""
    secret = settings.SECRET_KEY
    found = _secret_ids.get(secret)
    if found is None:
        found = _secret_ids[secret] = salted_hmac(
            "accounts.auth_cache.users", "entries", algorithm="sha256"
        ).hexdigest()[:12]
    return found


_secret_ids: dict[str, str] = {}


def _user_key(user_id: object) -> str:
    return f"{_PREFIX}:user:{_secret_id()}:{user_id}"


def _user_generation_key(user_id: object) -> str:
    return f"{_PREFIX}:user-gen:{user_id}"


def _fresh_generation() -> int:
    # Random, never counted up: a generation lost from the cache (evicted, expired) must not
    # come back as a number its old entries were kept under.
    return secrets.randbits(52)


@dataclass(frozen=True)
class CachedUser:
    """A user as the cache holds them: the row (password deferred) and the session hash
    (``get_session_auth_hash()``) their browser sessions must carry."""

    user: User
    session_auth_hash: str


@dataclass(frozen=True)
class UserLookup:
    """What a read of the cache found: the user (or None, a miss), the second-factor device
    asked for (or None), and the user's generation, under which a row or device read from
    the database afterwards may be kept (None: do not keep it)."""

    found: CachedUser | None
    generation: int | None
    device: Device | None = None


@dataclass(frozen=True)
class PrefetchedUser:
    """The cache entries of a user (and of a device) read along with a browser session's data
    (``session_with_user``): ``user_get`` takes them instead of a round trip of its own when
    the session turns out to be signed in as that user with that device."""

    user_id: str
    device_id: str | None
    values: list[Any]
    # The per-user entries other apps asked to read along (``read_along``), by key; a key
    # that is missing was not read, one mapped to None was read and not there.
    along: dict[str, Any] = field(default_factory=dict)


# Functions user id -> a key in the default cache that signed-in pages read (the bell's
# unread count): registered by the apps that own them, read in the session's round trip.
_READ_ALONG: list[Callable[[str], str]] = []


def read_along(key_of: Callable[[str], str]) -> None:
    """Read the default cache's ``key_of(user id)`` with every cached browser session."""
    if key_of not in _READ_ALONG:
        _READ_ALONG.append(key_of)


def session_with_user(
    *, cache_key: str, user_id: str, device_id: str | None
) -> tuple[Any, PrefetchedUser] | None:
    """A browser session's data (as Django's cached_db store keeps it under ``cache_key`` in
    the default cache; None when it is not cached or cannot be read) and the entries of the user (and device) it was signed in as
    before, in one round trip. None while the cache is unreachable (or not Redis)."""

    def read(backend: BaseCache) -> tuple[Any, PrefetchedUser] | None:
        redis = _redis(backend)
        if redis is None:
            return None
        keys = [cache_key, _user_key(user_id), _user_generation_key(user_id)]
        if device_id:
            keys.append(_device_key(device_id))
        along = [key_of(str(user_id)) for key_of in _READ_ALONG]
        raw = redis.client.mget([redis.make_key(key) for key in keys + along])
        loaded = [_loaded(redis, value) for value in raw]
        values, along_values = loaded[: len(keys)], loaded[len(keys) :]
        values += [None] * (4 - len(values))
        return values[0], PrefetchedUser(
            str(user_id), device_id, values[1:], dict(zip(along, along_values, strict=True))
        )

    return _guarded(read, None)


def user_get(
    *, user_id: object, device_id: str | None = None, prefetched: PrefetchedUser | None = None
) -> UserLookup:
    """The cached user with this key, if the entry was kept under their current generation,
    and the device with this persistent id (the one a browser session passed), if it is the
    user's and was kept under the same generation. ``prefetched``: the entries read with the
    session, used when they are this user's and this device's.

    On a miss, read the row (or device) from the database *after* this call and give it to
    ``user_keep`` (``device_keep``) with the returned generation: a change committed after
    that read has moved it on."""
    found: list[Any] | None
    if (
        prefetched is not None
        and prefetched.user_id == str(user_id)
        and prefetched.device_id == (device_id or None)
    ):
        found = prefetched.values
    else:
        found = _guarded(lambda cache: _user_and_generation(cache, user_id, device_id), None)
    if found is None:
        return UserLookup(found=None, generation=None)
    lookup = _user_lookup(user_id, found[0], found[1])
    if device_id and lookup.generation is not None:
        device = _device_of(found[2], device_id, user_id, lookup.generation)
        if device is not None:
            return UserLookup(found=lookup.found, generation=lookup.generation, device=device)
    return lookup


def _user_and_generation(backend: BaseCache, user_id: object, device_id: str | None) -> list[Any]:
    """[user entry, generation, device entry], None where missing."""
    keys = [_user_key(user_id), _user_generation_key(user_id)]
    if device_id:
        keys.append(_device_key(device_id))
    redis = _redis(backend)
    if redis is None:
        found = backend.get_many(keys)
        values = [found.get(key) for key in keys]
    else:
        # One MGET on the client itself: Django's get_many costs ~10 µs more for two keys.
        raw = redis.client.mget([redis.make_key(key) for key in keys])
        values = [_loaded(redis, value) for value in raw]
    return values + [None] * (3 - len(values))


def _loaded(redis: _Redis, value: bytes | None) -> Any:
    """A cached value, or None (missing) when it cannot be read back: an entry written by
    another version, or damaged, is read from the database as Django's own cache reads do."""
    if value is None:
        return None
    try:
        return redis.loads(value)
    except Exception:  # unpickling raises any kind of error
        logger.warning("An unreadable entry in the authentication cache was ignored.")
        return None


def _user_lookup(user_id: object, entry: Any, generation: Any) -> UserLookup:
    if (
        generation is not None
        and isinstance(entry, tuple)
        and len(entry) == 4
        and entry[0] == generation
        and entry[1] == _USER_FIELDS
    ):
        cache_lookup("users", hit=True)
        user = User.from_db(User.objects.db, list(_USER_FIELDS), list(entry[2]))
        return UserLookup(
            found=CachedUser(user=user, session_auth_hash=entry[3]), generation=generation
        )
    cache_lookup("users", hit=False)
    if generation is None:
        # None yet (or evicted): start one; if another request started it first, its value
        # is unknown here, so nothing is kept this time.
        generation = _fresh_generation()
        key = _user_generation_key(user_id)
        if not _guarded(lambda cache: cache.add(key, generation, USER_GENERATION_TTL), False):
            return UserLookup(found=None, generation=None)
    return UserLookup(found=None, generation=generation)


def user_keep(*, user: User, generation: int | None) -> None:
    """Keep a user read from the database after ``user_get`` returned ``generation``."""
    if generation is None or user.pk is None or "password" not in user.__dict__:
        return
    entry = (
        generation,
        _USER_FIELDS,
        tuple(getattr(user, name) for name in _USER_FIELDS),
        user.get_session_auth_hash(),
    )
    _guarded(lambda cache: cache.set(_user_key(user.pk), entry, USER_TTL), None)


def user_changed(*, user_id: object) -> None:
    """The user's row changed (or is gone): no entry kept until now may be used."""
    key = _user_generation_key(user_id)
    _guarded(
        lambda cache: cache.set(key, _fresh_generation(), USER_GENERATION_TTL),
        None,
        invalidation=True,
    )


# Second-factor devices: only what tells whose device it is and whether it is confirmed (never
# a secret: every other field is deferred, read from the database if a request needs it).
_DEVICE_FIELDS = ("id", "user_id", "name", "confirmed")


def _device_key(persistent_id: str) -> str:
    return f"{_PREFIX}:device:{persistent_id}"


def _device_of(entry: Any, persistent_id: str, user_id: object, generation: int) -> Device | None:
    if not (
        isinstance(entry, tuple)
        and len(entry) == 3
        and entry[0] == generation
        and entry[1] == persistent_id
    ):
        return None
    values = dict(zip(_DEVICE_FIELDS, entry[2], strict=True))
    if values["user_id"] != user_id:
        return None
    model = apps.get_model(persistent_id.split("/", 1)[0])
    device: Device = model.from_db(model.objects.db, list(_DEVICE_FIELDS), list(entry[2]))
    return device


def device_keep(*, device: Device, generation: int | None) -> None:
    """Keep a device read from the database after ``user_get`` returned ``generation``."""
    if generation is None or device.pk is None:
        return
    entry = (
        generation,
        device.persistent_id,
        tuple(getattr(device, name) for name in _DEVICE_FIELDS),
    )
    _guarded(lambda cache: cache.set(_device_key(device.persistent_id), entry, USER_TTL), None)


@receiver(pre_save, dispatch_uid="accounts.auth_cache.device_owner_before")
def _device_owner_before(sender: type[Any], instance: Any, using: str, **kwargs: Any) -> None:
    # A device given to another user (the admin can) stops being its old owner's too: the
    # old owner is read before the save, and their generation moves on with the new one's.
    if not isinstance(instance, Device) or instance.pk is None:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"user", "user_id"} & set(update_fields):
        return
    owner = type(instance)._default_manager.using(using).filter(pk=instance.pk)
    instance.__dict__["_auth_cache_owner_before"] = owner.values_list("user_id", flat=True).first()


@receiver(post_save, dispatch_uid="accounts.auth_cache.device_saved")
@receiver(post_delete, dispatch_uid="accounts.auth_cache.device_deleted")
def _device_changed(sender: type[Any], instance: Any, using: str, **kwargs: Any) -> None:
    # A device of any kind (TOTP, SMS, recovery codes, passkeys) is its user's: changing it
    # moves the user's generation on, as a change of the user does.
    if not isinstance(instance, Device):
        return
    owners = {instance.user_id, instance.__dict__.pop("_auth_cache_owner_before", None)}
    for owner in owners - {None}:
        _changed(owner, using)


@receiver(post_save, sender=User, dispatch_uid="accounts.auth_cache.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.auth_cache.user_deleted")
def _user_row_changed(sender: type[User], instance: User, using: str, **kwargs: Any) -> None:
    if instance.pk is not None:
        _changed(instance.pk, using)


def _changed(user_id: object, using: str) -> None:
    # Now (requests may no longer use what was kept) and after the commit (a request that
    # read the row before the commit may have kept it under the generation set now).
    user_changed(user_id=user_id)
    transaction.on_commit(lambda: user_changed(user_id=user_id), using=using)
