"""The rate-limit counter: one Redis round trip per counted request, the same counts (issue 10)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches

from core import ratelimit
from core.ratelimit import Rate, RateLimited

pytestmark = pytest.mark.services("REDIS_URL")


@pytest.fixture
def limits_on(settings):
    settings.RATE_LIMITS_ENABLED = True


def _redis_commands(monkeypatch) -> list[str]:
    """Every command the cache's Redis client sends, by name (pipelines count as one send)."""
    sent: list[str] = []
    client = caches["default"]._cache.get_client(write=True)  # type: ignore[attr-defined]
    pipeline_class = type(client.pipeline())
    original_execute = pipeline_class.execute
    original_command = type(client).execute_command

    def execute(self, *args, **kwargs):
        sent.append("pipeline:" + ",".join(str(c[0][0]) for c in self.command_stack))
        return original_execute(self, *args, **kwargs)

    def command(self, *args, **kwargs):
        sent.append(str(args[0]))
        return original_command(self, *args, **kwargs)

    monkeypatch.setattr(pipeline_class, "execute", execute)
    monkeypatch.setattr(type(client), "execute_command", command)
    return sent


@pytest.mark.usefixtures("limits_on")
def test_a_counted_request_is_one_round_trip_and_the_limit_holds(monkeypatch):
    rate = Rate(limit=3, period=60)
    sent = _redis_commands(monkeypatch)

    for _ in range(3):
        ratelimit.hit("test:counter", "subject", rate)
    with pytest.raises(RateLimited):
        ratelimit.hit("test:counter", "subject", rate)

    assert sent == ["pipeline:SET,INCRBY"] * 4
    assert ratelimit.count("test:counter", "subject", rate) == 4  # read as Django's cache reads it


@pytest.mark.usefixtures("limits_on")
def test_the_counter_expires_with_its_window():
    rate = Rate(limit=5, period=60)
    ratelimit.hit("test:expiry", "subject", rate)

    backend = caches["default"]
    window = int(time.time() // rate.period)
    key = backend.make_and_validate_key(ratelimit._cache_key("test:expiry", "subject", window))
    ttl = backend._cache.get_client(write=True).ttl(key)  # type: ignore[attr-defined]
    assert 0 < ttl <= rate.period + 1


@pytest.mark.usefixtures("limits_on")
def test_reset_clears_what_the_counter_wrote():
    rate = Rate(limit=1, period=60)
    ratelimit.hit("test:reset", "subject", rate)
    ratelimit.reset("test:reset", "subject", rate)

    assert ratelimit.count("test:reset", "subject", rate) == 0
    ratelimit.hit("test:reset", "subject", rate)  # the first of a fresh count: allowed
    assert ratelimit.count("test:reset", "subject", rate) == 1
