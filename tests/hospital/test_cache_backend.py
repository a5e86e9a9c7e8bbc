"""The Redis cache backend keeps one client per pool and behaves as Django's (issue 10)."""

from __future__ import annotations

import pytest
import redis
from django.core.cache import cache, caches

from core.cache import RedisCache

pytestmark = pytest.mark.services("REDIS_URL")


def test_the_configured_cache_is_ours_and_reuses_its_client() -> None:
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    client = backend._cache  # type: ignore[attr-defined]

    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client()  # one server: one pool


def test_values_round_trip_through_the_reused_client() -> None:
    cache.set("issue-10:cache-backend", {"a": [1, 2]}, timeout=30)
    assert cache.get("issue-10:cache-backend") == {"a": [1, 2]}
    assert cache.incr("issue-10:counter", 1) if cache.add("issue-10:counter", 0) else True
    assert cache.get_many(["issue-10:cache-backend", "missing"]) == {
        "issue-10:cache-backend": {"a": [1, 2]}
    }
    cache.delete("issue-10:cache-backend")
    assert cache.get("issue-10:cache-backend") is None


def test_an_unreachable_server_still_raises_for_the_callers_fallbacks() -> None:
    # Closed port: the callers (token cache, slot cache, rate limits) catch this and fall back.
    unreachable = RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    with pytest.raises(redis.exceptions.ConnectionError):
        unreachable.get("anything")
    with pytest.raises(redis.exceptions.ConnectionError):
        unreachable.get("anything")  # the kept client does not hide a dead server
