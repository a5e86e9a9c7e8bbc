"""The hospital's directory: departments."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError
from django.db.models import QuerySet
from redis.exceptions import RedisError

from accounts.models import Department


def departments_active() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("name")


def departments_all() -> QuerySet[Department]:
    """Every department, also closed ones: lookups by public id in filters and forms."""
    return Department.objects.all()


def department_get_by_code(*, code: str) -> Department:
    """The department with this code (operators' commands and seed data name departments so)."""
    return Department.objects.get(code=code)


@dataclass(frozen=True)
class PublicLocation:
    """Where a department is, as the public home page tells everyone (no person in it)."""

    name: str
    location: str
    directions: str


PUBLIC_LOCATIONS_CACHE_KEY = "directory:public-locations"
# A changed department is forgotten at once (department_create/update); the timeout only
# bounds what a write made around the services (a shell, a data migration) leaves stale.
PUBLIC_LOCATIONS_SECONDS = 300
# Each process keeps what it read for this long: the busiest page then costs no round trip
# of its own (the process that made a change forgets at once, the others within this).
PUBLIC_LOCATIONS_KEPT_SECONDS = 30
_CACHE_ERRORS = (RedisError, OSError)
_kept: tuple[float, tuple[PublicLocation, ...]] | None = None


def public_locations() -> tuple[PublicLocation, ...]:
    """The open departments that say where they are, by name, for the public home page: from
    this process's copy or the cache, so the busiest page reads no table; empty while neither
    the cache nor the database can say (the page still answers, without the list)."""
    global _kept
    kept = _kept
    if kept is not None and time.monotonic() < kept[0]:
        return kept[1]
    locations = _public_locations_shared()
    if locations is not None:
        _kept = (time.monotonic() + PUBLIC_LOCATIONS_KEPT_SECONDS, locations)
    return locations or ()


def _public_locations_shared() -> tuple[PublicLocation, ...] | None:
    """From the cache, else the database (then cached); None when neither answers."""
    try:
        cached = cache.get(PUBLIC_LOCATIONS_CACHE_KEY)
    except _CACHE_ERRORS:
        cached = None
    if cached is not None:
        return tuple(PublicLocation(*row) for row in cached)
    try:
        rows = list(
            departments_active().exclude(location="").values_list("name", "location", "directions")
        )
    except (DatabaseError, InterfaceError):
        return None
    with contextlib.suppress(*_CACHE_ERRORS):
        cache.set(PUBLIC_LOCATIONS_CACHE_KEY, rows, PUBLIC_LOCATIONS_SECONDS)
    return tuple(PublicLocation(*row) for row in rows)


def public_locations_forget() -> None:
    """After a department changed: the next home page reads them again."""
    global _kept
    _kept = None
    with contextlib.suppress(*_CACHE_ERRORS):
        cache.delete(PUBLIC_LOCATIONS_CACHE_KEY)
