"""Rate limiting shared by every process: fixed-window counters in the default cache
(Redis when REDIS_URL is set), keyed by scope and by IP or account.

Apps declare their own rates; this module only counts and refuses. Over the limit,
:class:`RateLimited` becomes a 429 with Retry-After: problem details on the API,
a readable page on the web.

Every response of a request that counted against a limit tells the client where it stands,
in the fields of the IETF draft "RateLimit header fields for HTTP"
(draft-ietf-httpapi-ratelimit-headers-09): ``RateLimit-Policy: "login:ip";q=20;w=300`` (quota
``q`` per window of ``w`` seconds) and ``RateLimit: "login:ip";r=19;t=120`` (``r`` left,
window resets in ``t`` seconds), one list member per limit the request counted against.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from core.cache import RedisCache
from core.errors import DomainError, problem_response, wants_json


@dataclass(frozen=True)
class Rate:
    """``limit`` hits per ``period`` seconds."""

    limit: int
    period: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "5/m", "10/5m", "100/h", "20/300s"."""
        limit, _, window = text.partition("/")
        units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
        multiplier = int(window[:-1]) if len(window) > 1 else 1
        return cls(limit=int(limit), period=multiplier * units[window[-1]])


class RateLimited(DomainError):
    code = "RATE_LIMITED"
    status = 429
    default_message = gettext_noop("Too many attempts. Please wait before trying again.")

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        minutes = math.ceil(self.retry_after / 60)
        if self.retry_after < 120:
            wait = ngettext("%(count)d second", "%(count)d seconds", self.retry_after) % {
                "count": self.retry_after
            }
        else:
            wait = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        super().__init__(
            # Translators: wait is a duration such as "30 seconds" or "5 minutes".
            message or _("Too many attempts. Please try again in %(wait)s.") % {"wait": wait}
        )


@dataclass(frozen=True)
class Standing:
    """Where the current request stands against one limit (for the RateLimit fields)."""

    scope: str
    rate: Rate
    remaining: int
    reset: int


# The limits the request being served counted against; None outside RateLimitMiddleware.
_standings: ContextVar[dict[str, Standing] | None] = ContextVar("ratelimit_standings", default=None)


def _note(scope: str, rate: Rate, remaining: int, reset: int) -> None:
    standings = _standings.get()
    if standings is not None:
        standings[scope] = Standing(scope, rate, max(0, remaining), max(1, reset))


def _sf_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def add_ratelimit_fields(response: HttpResponseBase, standings: dict[str, Standing]) -> None:
    """``RateLimit-Policy`` and ``RateLimit`` (IETF draft -09) for the limits counted."""
    if not standings:
        return
    members = list(standings.values())
    response["RateLimit-Policy"] = ", ".join(
        f"{_sf_string(m.scope)};q={m.rate.limit};w={m.rate.period}" for m in members
    )
    response["RateLimit"] = ", ".join(
        f"{_sf_string(m.scope)};r={m.remaining};t={m.reset}" for m in members
    )


def ip_key(ip: str | None) -> str:
    """IPv6 clients are grouped by /64: one host usually owns the whole block."""
    if not ip:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)
    return ip


def _cache_key(scope: str, subject: str, window: int) -> str:
    digest = hashlib.sha256(subject.lower().encode()).hexdigest()[:32]  # no emails in Redis keys
    return f"rl:{scope}:{digest}:{window}"


def _count_one(key: str, *, timeout: int) -> int:
    """Add one to a window's counter, creating it with its expiry if it is new.

    On Redis one round trip: SET NX EX and INCR in one pipeline (Django's ``add`` and ``incr``
    are two or three, measured ~0.4 ms per counted request). The value is stored as Django's
    Redis cache stores an int, so ``cache.get`` reads it as before."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(key)
        client = backend._cache.get_client(full_key, write=True)  # type: ignore[attr-defined]
        pipeline = client.pipeline()  # MULTI/EXEC: the INCR cannot outlive the SET's expiry
        pipeline.set(full_key, 0, ex=timeout, nx=True)
        pipeline.incr(full_key)
        return int(pipeline.execute()[1])
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=timeout)
        return 1


def hit(scope: str, subject: str, rate: Rate) -> None:
    """Count one attempt; raise RateLimited if this one is over the limit."""
    if not settings.RATE_LIMITS_ENABLED:
        return
    now = time.time()
    window = int(now // rate.period)
    count = _count_one(_cache_key(scope, subject, window), timeout=rate.period + 1)
    reset = math.ceil((window + 1) * rate.period - now)
    _note(scope, rate, rate.limit - count, reset)
    if count > rate.limit:
        raise RateLimited(retry_after=reset)


def count(scope: str, subject: str, rate: Rate) -> int:
    """Attempts so far in the current window (without counting one)."""
    window = int(time.time() // rate.period)
    return int(cache.get(_cache_key(scope, subject, window), 0))


def reset(scope: str, subject: str, rate: Rate) -> None:
    window = int(time.time() // rate.period)
    cache.delete(_cache_key(scope, subject, window))


def rate_limited_response(request: HttpRequest, error: RateLimited) -> HttpResponse:
    if wants_json(request):
        response: HttpResponse = problem_response(status=429, code=error.code, detail=error.message)
    else:
        response = render(
            request,
            "errors/error.html",
            {"status": 429, "title": _("Too many attempts"), "message": error.message},
            status=429,
        )
    response["Retry-After"] = str(error.retry_after)
    return response


class RateLimitMiddleware:
    """Turns a RateLimited raised anywhere in a view into a 429 with Retry-After, and adds
    the RateLimit fields to every response of a request that counted against a limit."""

    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        standings: dict[str, Standing] = {}
        token = _standings.set(standings)
        try:
            response: HttpResponse = self.get_response(request)
        finally:
            _standings.reset(token)
        add_ratelimit_fields(response, standings)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return rate_limited_response(request, exception)
        return None


# The fields as OpenAPI response headers (core/schema.py adds them to limited operations).
RATELIMIT_RESPONSE_HEADERS: dict[str, dict[str, object]] = {
    "RateLimit-Policy": {
        "description": "The limits this request counted against (IETF draft-ietf-httpapi-"
        "ratelimit-headers-09): per limit, its name, `q` requests per window of `w` seconds.",
        "schema": {"type": "string"},
        "example": '"login:ip";q=30;w=60, "login:account-ip";q=10;w=300',
    },
    "RateLimit": {
        "description": "Where this request stands against each limit: `r` requests left in "
        "the current window, which resets in `t` seconds.",
        "schema": {"type": "string"},
        "example": '"login:ip";r=29;t=42, "login:account-ip";r=9;t=242',
    },
}
RETRY_AFTER_RESPONSE_HEADER: dict[str, object] = {
    "description": "Seconds to wait before trying again.",
    "schema": {"type": "integer", "minimum": 1},
    "example": 60,
}
