"""Free slots cached per (practitioner, visit shape, local day) in the default cache (Redis in
production), so a search computes only what changed since the last one.

What is cached does not depend on "now": a day's free starts from working hours, leave and
booked time, for a visit of ``duration`` + ``buffer`` minutes in the practitioner's time zone
(the lead time, the booking horizon and a patient's own appointments are applied at read
time by the selector).

Invalidation is a generation counter per practitioner, part of every key: a change of their
availability (an appointment taken or freed, working hours, leave; see
``appointments.subscribers``) bumps it after the transaction commits, and every entry written
under the old generation is never read again (it expires). A search that read the old
generation and stores its result after the bump stores it under the old key: a racing read
cannot bring a stale entry back. Entries computed inside a transaction are stored only when it
commits (a rolled-back booking must not leave its time cached as taken).

The cache is an optimisation only: unreachable, a search computes everything from the
database (and stops trying the cache for a few seconds); the booking services never trust it
(``slots.slot_is_free`` reads the database) and the database refuses double bookings anyway.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import pickle
import secrets
import time
from array import array
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from redis import Redis
from redis.exceptions import RedisError

from core.metrics import cache_lookup

logger = logging.getLogger(__name__)

# Raise when the meaning of a cached entry changes: old entries are then never read.
FORMAT = 1
# After a failed cache call, searches skip the cache for this long (a hung Redis would
# otherwise cost every search its socket timeout).
PAUSE_AFTER_FAILURE = 5.0
_CACHE_ERRORS = (RedisError, OSError)

# practitioner id -> local day -> free starts (epoch seconds, sorted), for one visit shape.
DayStarts = dict[int, dict[datetime.date, list[float]]]
# practitioner id -> free starts of all the days searched (epoch seconds, sorted).
Starts = dict[int, list[float]]
Compute = Callable[[Sequence[int], datetime.date, datetime.date], DayStarts]

_paused_until: dict[str, float] = {}


def _location() -> str:
    return str(settings.CACHES["default"].get("LOCATION", ""))


def _available() -> bool:
    if settings.SLOT_CACHE_SECONDS <= 0:
        return False
    paused = _paused_until.get(_location())
    return paused is None or paused <= time.monotonic()


def _failed(action: str, error: Exception) -> None:
    _paused_until[_location()] = time.monotonic() + PAUSE_AFTER_FAILURE
    logger.warning("Slot cache unavailable (%s): %s", action, error)


# redis-py clients by cache location, with the cache's key function: Django's RedisCache
# makes a new client object for every call (~0.1 ms of CPU each) and the ``cache`` proxy
# looks the backend up in a context-local at every attribute. One client per process is
# thread-safe (its pool hands out connections).
_clients: dict[str, tuple[Redis, Callable[[str], str]]] = {}


def _redis() -> tuple[Redis, Callable[[str], str]] | None:
    """The redis-py client behind the default cache and its key function, or None when the
    cache is not Redis."""
    location = _location()
    found = _clients.get(location)
    if found is None:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if not isinstance(backend, RedisCache):
            return None
        client = backend._cache.get_client(None, write=True)  # type: ignore[attr-defined]
        found = _clients[location] = (client, backend.make_key)
    return found


def _mget(keys: Sequence[str]) -> list[Any]:
    """The values of ``keys`` in order (None where missing): bytes as stored, counters as
    ``int``-able bytes (Redis) or ints (other caches)."""
    redis = _redis()
    if redis is None:
        found = cache.get_many(keys)
        return [found.get(key) for key in keys]
    client, make_key = redis
    return client.mget([make_key(key) for key in keys])


# Every entry of a search in one command (a department's week is 350 entries: as many SETs,
# even pipelined, were ~3 ms of redis-py's argument handling and reply parsing).
_SET_ALL = """
for i, key in ipairs(KEYS) do
    redis.call('SET', key, ARGV[i + 1], 'EX', ARGV[1])
end
return #KEYS
"""
_scripts: dict[tuple[int, str], Any] = {}


def _script(client: Redis, source: str) -> Any:
    script = _scripts.get((id(client), source))
    if script is None:
        script = _scripts[id(client), source] = client.register_script(source)
    return script


def _set_many(entries: dict[str, bytes], timeout: int) -> None:
    """Store byte strings for ``timeout`` seconds: one round trip and one command on Redis."""
    redis = _redis()
    if redis is None:
        cache.set_many(entries, timeout=timeout)
        return
    client, make_key = redis
    script = _script(client, _SET_ALL)
    script(keys=[make_key(key) for key in entries], args=[timeout, *entries.values()])


def _add_counters(keys: Sequence[str]) -> None:
    """Create the counters that do not exist yet, each at a random number."""
    redis = _redis()
    if redis is None:
        for key in keys:
            cache.add(key, _fresh_generation(), timeout=None)
        return
    client, make_key = redis
    with client.pipeline(transaction=False) as pipeline:
        for key in keys:
            pipeline.set(make_key(key), _fresh_generation(), nx=True)
        pipeline.execute()


def _bump_counters(keys: Sequence[str]) -> None:
    """Move each counter on (one that does not exist is created at a random number)."""
    redis = _redis()
    if redis is None:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # no counter yet (or evicted): nothing cached under it
                cache.add(key, _fresh_generation(), timeout=None)
        return
    client, make_key = redis
    # INCR of a missing key would start it at 1, a number an evicted counter may have had:
    # create missing ones at random first (NX), then move every one on.
    with client.pipeline(transaction=False) as pipeline:
        for key in keys:
            pipeline.set(make_key(key), _fresh_generation(), nx=True)
            pipeline.incr(make_key(key))
        pipeline.execute()


def _generation_key(practitioner_id: int) -> str:
    return f"slots:gen:{practitioner_id}"


def _fresh_generation() -> int:
    # Random, not 1: a counter lost from the cache (evicted, flushed) must not start again at
    # a number whose old entries may still be there.
    return secrets.randbits(52)


def _generations(practitioner_ids: Iterable[int]) -> dict[int, int]:
    ids = list(practitioner_ids)
    keys = [_generation_key(pk) for pk in ids]
    found = _mget(keys)
    if None in found:
        _add_counters([key for key, value in zip(keys, found, strict=True) if value is None])
        found = _mget(keys)
    return {pk: int(value) for pk, value in zip(ids, found, strict=True) if value is not None}


def _entry_key(
    practitioner_id: int,
    generation: int,
    shape: tuple[int, int],
    zone: str,
    day: datetime.date,
) -> str:
    duration, buffer = shape
    return f"slots:{FORMAT}:{practitioner_id}:{generation:x}:{duration}:{buffer}:{day.toordinal()}:{zone}"


def _search_key(
    practitioners: Sequence[tuple[int, str]],
    shape: tuple[int, int],
    days: Sequence[datetime.date],
    catalog_generation: int | None,
) -> str:
    """One entry for a whole search (a department's week is hundreds of day entries). Its
    value carries the practitioners' generations it was computed at (and the catalog's, when
    the search was made with a remembered catalog): read in the same round trip as the
    counters, it is valid while none of them has moved."""
    facts = repr((shape, days[0].toordinal(), len(days), list(practitioners), catalog_generation))
    return f"slots:{FORMAT}:search:{hashlib.blake2b(facts.encode(), digest_size=16).hexdigest()}"


def _stamp(generations: Iterable[int | bytes]) -> bytes:
    """The generations an entry was computed at, as it starts with them (and as the Lua
    script below joins the counters)."""
    return b",".join(
        value if isinstance(value, bytes) else str(value).encode() for value in generations
    )


# A whole search's entry if the counters are still those it starts with (``stamp``), else
# the counters: on a hit one short reply instead of every counter's (parsing replies is most
# of redis-py's time).
_SEARCH_ENTRY = """
local counters = redis.call('MGET', unpack(KEYS, 2))
for i = 1, #counters do
    if not counters[i] then
        return {0, counters}
    end
end
local entry = redis.call('GET', KEYS[1])
if entry then
    local stamp = table.concat(counters, ',')
    local cut = string.find(entry, '\\n', 1, true)
    if cut and string.sub(entry, 1, cut - 1) == stamp then
        return {1, string.sub(entry, cut + 1)}
    end
end
return {0, counters}
"""


def _search_entry(key: str, counter_keys: list[str]) -> tuple[bytes | None, list[Any]]:
    """The entry ``key`` if it was stored at the counters' current values (without the
    stamp), else None and the counters' values (None where missing)."""
    redis = _redis()
    if redis is None:
        *values, entry = _mget([*counter_keys, key])
        if entry is not None and None not in values:
            stamp, _newline, packed = entry.partition(b"\n")
            if stamp == _stamp(values):
                return packed, values
        return None, values
    client, make_key = redis
    script = _script(client, _SEARCH_ENTRY)
    found, payload = script(keys=[make_key(key), *(make_key(name) for name in counter_keys)])
    if found:
        return payload, []
    return None, [value if value else None for value in payload]


# Many entries as one reply: each as a 4-byte big-endian length + 1 (0: missing) and its
# bytes. A department's week is 350 day entries; redis-py parses 350 replies in ~1 ms.
_GET_ALL = """
local parts = {}
for first = 1, #KEYS, 1000 do
    local last = math.min(first + 999, #KEYS)
    local values = redis.call('MGET', unpack(KEYS, first, last))
    for i = 1, last - first + 1 do
        local value = values[i]
        if value then
            parts[#parts + 1] = struct.pack('>I4', #value + 1) .. value
        else
            parts[#parts + 1] = struct.pack('>I4', 0)
        end
    end
end
return table.concat(parts)
"""


def _mget_many(keys: Sequence[str]) -> list[bytes | None]:
    """``_mget`` of many byte-string entries, in one reply on Redis."""
    redis = _redis()
    if redis is None or not keys:
        return _mget(keys)
    client, make_key = redis
    blob: bytes = _script(client, _GET_ALL)(keys=[make_key(key) for key in keys])
    values: list[bytes | None] = []
    at = 0
    from_bytes = int.from_bytes
    for _key in keys:
        size = from_bytes(blob[at : at + 4], "big")
        at += 4
        if size:
            values.append(blob[at : at + size - 1])
            at += size - 1
        else:
            values.append(None)
    return values


def _pack(starts: list[float]) -> bytes:
    return array("d", starts).tobytes()


def _unpack(packed: bytes) -> list[float]:
    starts = array("d")
    starts.frombytes(packed)
    return starts.tolist()


def _pack_search(starts: Starts, practitioners: Sequence[tuple[int, str]]) -> bytes:
    # Per practitioner, in the key's order: the number of starts, then the starts.
    numbers = array("d")
    for pk, _zone in practitioners:
        numbers.append(len(starts[pk]))
        numbers.extend(starts[pk])
    return numbers.tobytes()


def _unpack_search(packed: bytes, practitioners: Sequence[tuple[int, str]]) -> Starts:
    numbers = array("d")
    numbers.frombytes(packed)
    values = numbers.tolist()
    result: Starts = {}
    at = 0
    for pk, _zone in practitioners:
        count = int(values[at])
        result[pk] = values[at + 1 : at + 1 + count]
        at += 1 + count
    return result


def flatten(by_day: DayStarts, days: Sequence[datetime.date]) -> Starts:
    """Each practitioner's starts of all the days, in order."""
    result: Starts = {}
    for pk, per_day in by_day.items():
        starts: list[float] = []
        for day in days:
            starts.extend(per_day.get(day, ()))
        result[pk] = starts
    return result


def day_starts(
    *,
    practitioners: Sequence[tuple[int, str]],
    shape: tuple[int, int],
    days: Sequence[datetime.date],
    compute: Compute,
    catalog_generation: int | None = None,
) -> Starts:
    """The free starts of each (practitioner id, time zone) on these days for a visit of
    ``shape`` (duration and buffer in minutes): from the cache where it has them, the rest
    from ``compute(practitioner_ids, first_day, last_day)``, which is then cached.

    A repeated search is one round trip: the practitioners' generation counters and the
    whole search's entry in one script call.

    ``catalog_generation``: the search was made from a catalog remembered by this process
    (``catalog_remembered``) at that generation, checked here in the same round trip; if the
    catalog has moved on, or the cache cannot check it, ``CatalogChanged`` is raised (and the
    catalog forgotten) before anything is computed from it."""
    ids = [pk for pk, _zone in practitioners]
    if not ids:
        if catalog_generation is not None:
            raise CatalogChanged()
        return {}
    if not _available():
        if catalog_generation is not None:
            raise CatalogChanged()
        return flatten(compute(ids, days[0], days[-1]), days)
    search_key = _search_key(practitioners, shape, days, catalog_generation)
    counter_keys = [_generation_key(pk) for pk in ids]
    if catalog_generation is not None:
        counter_keys.insert(0, _CATALOG_GENERATION)
    try:
        whole, values = _search_entry(search_key, counter_keys)
        if whole is not None:
            # Stored only by a search that found the catalog at ``catalog_generation`` (part
            # of the key), and its stamp still matches: the catalog is that one.
            _count_lookups(practitioners=len(ids), computed=0)
            return _unpack_search(whole, practitioners)
        if catalog_generation is not None:
            catalog_now, *values = values
            if catalog_now is None or int(catalog_now) != catalog_generation:
                _catalog_memo.clear()
                raise CatalogChanged()
        if None in values:
            generations = _generations(ids)
        else:
            generations = {pk: int(value) for pk, value in zip(ids, values, strict=True)}
        if len(generations) < len(ids):  # a counter vanished as it was made (a flush)
            return flatten(compute(ids, days[0], days[-1]), days)
        current = tuple(generations[pk] for pk in ids)
        keys = [
            _entry_key(pk, generations[pk], shape, zone, day)
            for pk, zone in practitioners
            for day in days
        ]
        found = dict(zip(keys, _mget_many(keys), strict=True))
    except _CACHE_ERRORS as error:
        _failed("read", error)
        if catalog_generation is not None:
            raise CatalogChanged() from None
        return flatten(compute(ids, days[0], days[-1]), days)
    result: DayStarts = {pk: {} for pk in ids}
    missing: dict[int, list[datetime.date]] = {}
    at = 0
    for pk, _zone in practitioners:
        for day in days:
            packed_day = found[keys[at]]
            at += 1
            if packed_day is None:
                missing.setdefault(pk, []).append(day)
            else:
                result[pk][day] = _unpack(packed_day)
    _count_lookups(practitioners=len(ids), computed=len(missing))
    entries: dict[str, bytes] = {}
    if missing:
        first = min(day for missed in missing.values() for day in missed)
        last = max(day for missed in missing.values() for day in missed)
        computed = compute(list(missing), first, last)
        zones = dict(practitioners)
        for pk, missed in missing.items():
            for day in missed:
                free = computed.get(pk, {}).get(day, [])
                result[pk][day] = free
                entries[_entry_key(pk, generations[pk], shape, zones[pk], day)] = _pack(free)
    every_day = flatten(result, days)
    stamp = _stamp(current if catalog_generation is None else (catalog_generation, *current))
    entries[search_key] = stamp + b"\n" + _pack_search(every_day, practitioners)
    # Inside a transaction the entries may reflect writes not yet committed: stored only if
    # they are (at once outside one).
    transaction.on_commit(lambda: _store(entries))
    return every_day


def _count_lookups(*, practitioners: int, computed: int) -> None:
    """Two figures: "slots", per practitioner of a search, whether their free times came from
    the cache (the whole search's entry or their day entries) or had to be computed, i.e. the
    work the cache saves; "slot_searches", per search, whether nothing at all had to be
    computed (any booking in a department makes its next search compute one practitioner)."""
    cache_lookup("slots", hit=True, count=practitioners - computed)
    cache_lookup("slots", hit=False, count=computed)
    cache_lookup("slot_searches", hit=not computed)


def _store(entries: dict[str, bytes]) -> None:
    try:
        _set_many(entries, settings.SLOT_CACHE_SECONDS)
    except _CACHE_ERRORS as error:
        _failed("store", error)


# --- The catalog: what a search shows of a type, a department and its practitioners ---------

_CATALOG_GENERATION = "slots:catalog:gen"


def _catalog_key(name: str) -> str:
    return f"slots:{FORMAT}:catalog:{name}"


class CatalogChanged(Exception):
    """The catalog a search was made from is not the current one (or could not be checked):
    start again with ``catalog_get``."""


# What ``catalog_remembered`` found last in this process: name -> (generation, value, when).
# A few entries per department and type; emptied when it outgrows this, when a check fails
# or when this process could not move the catalog's counter on (a change it made would not
# show). Each is used for CATALOG_MEMO_SECONDS at most, then read again: a change whose
# counter move was lost elsewhere shows once the cache's own entry has gone, as it would
# without this.
_catalog_memo: dict[str, tuple[int, Any, float]] = {}
_CATALOG_MEMO_SIZE = 1_000
CATALOG_MEMO_SECONDS = 30.0


def catalog_get(name: str, build: Callable[[], Any]) -> Any:
    """The catalog entry ``name`` (any picklable value ``build()`` returns; None is not
    cached), valid while the catalog generation (``catalog_changed``) has not moved: one
    round trip when cached. The generation is read before ``build`` reads the database, so
    an entry built from rows a concurrent change replaced is stored under the old
    generation and never read."""
    return _catalog_read(name, build)[0]


def catalog_remembered(name: str, build: Callable[[], Any]) -> tuple[Any, int | None]:
    """The catalog entry ``name`` as this process last found it, with its generation, with no
    round trip; not yet checked: the search made from it passes the generation to
    ``day_starts``, which checks it in the search's own round trip (``CatalogChanged``).
    Not remembered yet: ``catalog_get``'s answer, with its generation (None: the cache did
    not give one, and the value is checked already)."""
    remembered = _catalog_memo.get(name)
    if remembered is not None:
        generation, value, since = remembered
        if time.monotonic() - since < CATALOG_MEMO_SECONDS:
            return value, generation
    return _catalog_read(name, build, remember=True)


def _catalog_read(
    name: str, build: Callable[[], Any], *, remember: bool = False
) -> tuple[Any, int | None]:
    """``catalog_get``'s value, and the generation it is valid at when the cache has one.
    ``remember``: an entry found in the cache is remembered by ``catalog_remembered`` (only
    those: they were stored after their transaction committed; one just built may come from
    a transaction that will not)."""
    if not _available():
        return build(), None
    key = _catalog_key(name)
    try:
        generation, entry = _mget([_CATALOG_GENERATION, key])
        if generation is None:
            _add_counters([_CATALOG_GENERATION])
            generation = _mget([_CATALOG_GENERATION])[0]
            if generation is None:  # flushed as it was made
                return build(), None
    except _CACHE_ERRORS as error:
        _failed("read", error)
        return build(), None
    generation = int(generation)
    if entry is not None:
        stored, value = pickle.loads(entry)  # noqa: S301 - written by this module
        if stored == generation:
            if remember:
                if len(_catalog_memo) >= _CATALOG_MEMO_SIZE:
                    _catalog_memo.clear()
                _catalog_memo[name] = (generation, value, time.monotonic())
            return value, generation
    value = build()
    if value is not None:
        packed = pickle.dumps((generation, value), protocol=pickle.HIGHEST_PROTOCOL)
        transaction.on_commit(lambda: _store({key: packed}))
    return value, generation


def catalog_changed() -> None:
    """What a search shows of types, departments or practitioners changed: after the
    transaction commits, no catalog entry made before is read again."""
    transaction.on_commit(_bump_catalog)


def _bump_catalog() -> None:
    try:
        _bump_counters([_CATALOG_GENERATION])
    except _CACHE_ERRORS as error:
        _catalog_memo.clear()
        _failed("invalidate", error)


def availability_changed(*, practitioner_ids: Iterable[int]) -> None:
    """The free times of these practitioners changed: after the transaction commits, their
    cached slots are no longer read."""
    ids = sorted(set(practitioner_ids))
    if ids:
        transaction.on_commit(lambda: _bump(ids))


def _bump(practitioner_ids: Sequence[int]) -> None:
    try:
        _bump_counters([_generation_key(pk) for pk in practitioner_ids])
    except _CACHE_ERRORS as error:
        # Entries cached before may be read again when the cache is back, until they
        # expire (SLOT_CACHE_SECONDS): a taken time offered then is refused at booking.
        _failed("invalidate", error)
