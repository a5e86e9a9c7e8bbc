"""Load shedding by queue time: a request that waited too long before reaching Django answers
503 with Retry-After at once, without touching the session, the cache or the database.

Under sustained overload requests queue before Python: in the reverse proxy, the listen
backlog and the WSGI server's own queue for a free thread. Served in turn, each would wait
longer than the one before (13 s in our measurements) and the client, or the proxy, would
have given up on most of them while the server still did their work. The reverse proxy
stamps each request with the time it received it (``X-Request-Start``); a request whose stamp
is older than REQUEST_QUEUE_TIMEOUT seconds when it reaches this middleware is refused, so the
queue drains in microseconds per refused request and the ones after it are served in time.

Stamps understood (the common proxies' formats), with or without the ``t=`` prefix: seconds
with a fraction (nginx ``t=${msec}``), or whole milliseconds (HAProxy ``t=%Ts%ms``, Heroku),
microseconds (Apache ``t=%t``) or nanoseconds since the epoch; the unit is told by magnitude
(any of them for a date after 1973). A stamp that is not such a number is ignored, one from
the future (the proxy's clock ahead of ours) counts as no wait, and one more than an hour old
(a wrong unit, a clock far off) is ignored as implausible. No stamp: no shedding
(development, tests, a server reached directly).

Trust: a client that reaches the server past the proxy, or a proxy that passes on a client's
own header, can send any stamp. An old one gets its own request refused; a future one makes
it count as not having waited, which is what it would get without the header. Neither affects
anyone else's request, so the header needs no authentication. The proxy should still set
(overwrite) it, not append to a client's. The proxy's and the servers' clocks must agree
(NTP): a proxy clock behind by more than the timeout would refuse every request.

Requests waiting inside the WSGI server for a free thread are measured only through the
proxy's stamp: granian stamps nothing. Without a proxy that stamps, nothing is shed.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from core import metrics, unavailable
from core.errors import wants_json
from core.security_headers import add_static_headers

logger = logging.getLogger(__name__)

HEADER = "X-Request-Start"
_META_KEY = "HTTP_X_REQUEST_START"
# Digits, an optional fraction, an optional "t=": nothing else (no signs, exponents, "_").
_STAMP = re.compile(r"^\s*(?:t=)?(\d{1,20}(?:\.\d{1,9})?)\s*$")
# The unit by magnitude: an epoch time after 1973 in seconds stays below 1e11 until the year
# 5138; the same instant in milliseconds is above 1e11, in microseconds above 1e14, in
# nanoseconds above 1e17.
_DIVISORS = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))
# A longer wait than this is a wrong unit or a clock far off, not a queue.
IMPLAUSIBLE_WAIT_SECONDS = 3600.0
# At most one log line per process this often while requests are being shed (with the count).
LOG_INTERVAL_SECONDS = 10.0


def request_start(value: str) -> float | None:
    """The epoch time (seconds) a proxy's ``X-Request-Start`` stamp names, or None."""
    match = _STAMP.match(value)
    if match is None:
        return None
    number = float(match.group(1))
    for threshold, divisor in _DIVISORS:
        if number >= threshold:
            return number / divisor
    return number


def queue_seconds(value: str, now: float) -> float | None:
    """How long a request stamped ``value`` has waited at ``now`` (epoch seconds): 0 for a
    stamp from the future; None for no usable stamp (garbage, or implausibly old)."""
    started = request_start(value)
    if started is None:
        return None
    waited = now - started
    if waited > IMPLAUSIBLE_WAIT_SECONDS:
        return None
    return max(waited, 0.0)


class QueueTimeMiddleware:
    """Refuses (503, Retry-After) a request that waited longer than REQUEST_QUEUE_TIMEOUT
    seconds before reaching Django. Placed right after the metrics and request-id
    middleware (so the refusal is counted and carries an id) and before anything that reads
    the session, the cache or the database. Sets ``request.queue_seconds`` (None without a
    usable stamp). REQUEST_QUEUE_TIMEOUT = 0 removes it from the stack."""

    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.timeout = float(settings.REQUEST_QUEUE_TIMEOUT)
        if self.timeout <= 0:
            raise MiddlewareNotUsed("REQUEST_QUEUE_TIMEOUT is 0: no load shedding")
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self._log_lock = threading.Lock()
        self._next_log = 0.0
        self._shed_since_log = 0

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        return response

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        stamp = request.META.get(_META_KEY)
        waited = queue_seconds(stamp, time.time()) if stamp else None
        request.queue_seconds = waited  # type: ignore[attr-defined]
        if waited is None or waited <= self.timeout:
            return None
        metrics.request_shed()
        self._log(request, waited)
        return shed_response(request)

    def _log(self, request: HttpRequest, waited: float) -> None:
        """One warning line per LOG_INTERVAL_SECONDS, not one per refused request: shedding
        happens when the server is busiest."""
        now = time.monotonic()
        with self._log_lock:
            self._shed_since_log += 1
            if now < self._next_log:
                return
            count, self._shed_since_log = self._shed_since_log, 0
            self._next_log = now + LOG_INTERVAL_SECONDS
        logger.warning(
            "Shedding load: %s %s waited %.2f s before reaching the application (limit %s s, "
            "REQUEST_QUEUE_TIMEOUT); %d request(s) answered 503 since the last such line",
            request.method,
            request.path,
            waited,
            f"{self.timeout:g}",
            count,
        )


def shed_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After, as for an unreachable database (core.unavailable): problem
    details ``SERVICE_UNAVAILABLE`` for API clients, the readable error page otherwise. Needs
    no session, user or query: it runs before the middleware that would load them."""
    response: HttpResponse
    if wants_json(request):
        response = unavailable.database_unavailable_problem()
    else:
        context = {
            "status": 503,
            "title": _("Service unavailable"),
            "message": str(unavailable.MESSAGE),
            "messages": (),  # queued messages live in the session, which is not loaded
        }
        response = render(request, "errors/error.html", context, status=503)
        response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    # The security headers the later middleware would have added.
    add_static_headers(response, "", request.path)
    response["X-Content-Type-Options"] = "nosniff"
    # Logged above, at most once per interval: not Django's ERROR line per request.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
