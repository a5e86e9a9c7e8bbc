"""Prometheus metrics shared by every app (exposed at /metrics).

Apps record through these functions, never through prometheus_client directly, so metric
names and labels stay in one place.
"""

from __future__ import annotations

from prometheus_client import Counter

CACHE_LOOKUPS = Counter(
    "hospital_cache_lookups_total",
    "Application cache lookups, by cache and result (hit or miss).",
    ["cache", "result"],
)


def cache_lookup(cache: str, *, hit: bool) -> None:
    """Count one lookup in an application cache (for example "slots" or "tokens")."""
    CACHE_LOOKUPS.labels(cache=cache, result="hit" if hit else "miss").inc()
