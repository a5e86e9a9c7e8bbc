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
import secrets
import time
from array import array
from collections.abc import Callable, Iterable, Sequence

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
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


def _generation_key(practitioner_id: int) -> str:
    return f"slots:gen:{practitioner_id}"


def _fresh_generation() -> int:
    # Random, not 1: a counter lost from the cache (evicted, flushed) must not start again at
    # a number whose old entries may still be there.
    return secrets.randbits(52)


def _generations(practitioner_ids: Iterable[int]) -> dict[int, int]:
    keys = {_generation_key(pk): pk for pk in practitioner_ids}
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, _fresh_generation(), timeout=None)
        found.update(cache.get_many(missing))
    return {keys[key]: int(value) for key, value in found.items()}


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
    generations: dict[int, int],
    shape: tuple[int, int],
    days: Sequence[datetime.date],
) -> str:
    """One entry for a whole search (a department's week is hundreds of day entries): valid
    while none of its practitioners' generations moves."""
    facts = repr(
        (
            shape,
            days[0].toordinal(),
            len(days),
            [(pk, generations[pk], zone) for pk, zone in practitioners],
        )
    )
    return f"slots:{FORMAT}:search:{hashlib.blake2b(facts.encode(), digest_size=16).hexdigest()}"


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
) -> Starts:
    """The free starts of each (practitioner id, time zone) on these days for a visit of
    ``shape`` (duration and buffer in minutes): from the cache where it has them, the rest
    from ``compute(practitioner_ids, first_day, last_day)``, which is then cached."""
    ids = [pk for pk, _zone in practitioners]
    if not _available():
        return flatten(compute(ids, days[0], days[-1]), days)
    try:
        generations = _generations(ids)
        if len(generations) < len(ids):  # a counter vanished as it was made (a flush)
            return flatten(compute(ids, days[0], days[-1]), days)
        search_key = _search_key(practitioners, generations, shape, days)
        whole = cache.get(search_key)
        if whole is None:
            keys = {
                _entry_key(pk, generations[pk], shape, zone, day): (pk, day)
                for pk, zone in practitioners
                for day in days
            }
            found = cache.get_many(keys)
    except _CACHE_ERRORS as error:
        _failed("read", error)
        return flatten(compute(ids, days[0], days[-1]), days)
    if whole is not None:
        cache_lookup("slots", hit=True)
        return _unpack_search(whole, practitioners)
    result: DayStarts = {pk: {} for pk in ids}
    missing: dict[int, list[datetime.date]] = {}
    for key, (pk, day) in keys.items():
        packed = found.get(key)
        if packed is None:
            missing.setdefault(pk, []).append(day)
        else:
            result[pk][day] = _unpack(packed)
    cache_lookup("slots", hit=not missing)
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
    entries[search_key] = _pack_search(every_day, practitioners)
    # Inside a transaction the entries may reflect writes not yet committed: stored only if
    # they are (at once outside one).
    transaction.on_commit(lambda: _store(entries))
    return every_day


def _store(entries: dict[str, bytes]) -> None:
    try:
        cache.set_many(entries, timeout=settings.SLOT_CACHE_SECONDS)
    except _CACHE_ERRORS as error:
        _failed("store", error)


def availability_changed(*, practitioner_ids: Iterable[int]) -> None:
    """The free times of these practitioners changed: after the transaction commits, their
    cached slots are no longer read."""
    ids = sorted(set(practitioner_ids))
    if ids:
        transaction.on_commit(lambda: _bump(ids))


def _bump(practitioner_ids: Sequence[int]) -> None:
    for pk in practitioner_ids:
        key = _generation_key(pk)
        try:
            try:
                cache.incr(key)
            except ValueError:  # no counter yet (or evicted): nothing cached under it
                cache.add(key, _fresh_generation(), timeout=None)
        except _CACHE_ERRORS as error:
            # Entries cached before may be read again when the cache is back, until they
            # expire (SLOT_CACHE_SECONDS): a taken time offered then is refused at booking.
            _failed("invalidate", error)
            return
