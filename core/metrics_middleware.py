"""Request latency per route, for /metrics (first in MIDDLEWARE: it times the whole stack).

Runs on every request, so it does little: two clock readings, one dictionary lookup of the
histogram child for (route, method, status class), one observation. The route is the URL
pattern Django resolved (``/api/v1/appointments/<uuid:public_id>``), never the path, so
labels stay few and carry no ids.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve

from core import metrics

# Anything else a client sends as a method is "other": a label value per invented method
# would let any caller add series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"  # no URL pattern matches (a 404)
STATIC = "<static>"  # served by WhiteNoise before URL resolution

_Key = tuple[str, str, int]


class RequestMetricsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(
        self,
        get_response: Callable[[HttpRequest], HttpResponseBase]
        | Callable[[HttpRequest], Awaitable[HttpResponseBase]],
    ) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        self._children: dict[_Key, Any] = {}
        self._static_prefix = "/" + str(settings.STATIC_URL).lstrip("/")
        # One process serves a scrape alone: it reads its pool then. Several: each worker
        # writes its pool figures now and then (a scrape reaches only one of them).
        self._pool_refresh_seconds = (
            float(settings.METRICS_POOL_REFRESH_SECONDS) if metrics.MULTIPROCESS else 0.0
        )
        self._next_pool_refresh = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        if self._pool_refresh_seconds and started >= self._next_pool_refresh:
            self._refresh_pool(started)
        status = 500  # if the stack raises instead of answering
        try:
            response = self.get_response(request)
            assert isinstance(response, HttpResponseBase)  # noqa: S101 - sync chain
            status = response.status_code
        finally:
            self._observe(request, status, time.perf_counter() - started)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        if self._pool_refresh_seconds and started >= self._next_pool_refresh:
            self._refresh_pool(started)
        status = 500
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
            status = response.status_code
        finally:
            self._observe(request, status, time.perf_counter() - started)
        return response

    def _refresh_pool(self, now: float) -> None:
        self._next_pool_refresh = now + self._pool_refresh_seconds
        metrics.record_pool_stats()

    def _observe(self, request: HttpRequest, status: int, seconds: float) -> None:
        match = request.resolver_match
        route = "/" + match.route if match is not None else self._unresolved_route(request, status)
        method = request.method if request.method in _METHODS else "other"
        key = (route, method or "other", status // 100)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metrics.REQUEST_LATENCY.labels(
                route=route, method=key[1], status=f"{key[2]}xx"
            )
        child.observe(seconds)

    def _unresolved_route(self, request: HttpRequest, status: int) -> str:
        """The route of a request answered before URL resolution (static files, a middleware
        that redirected or refused); resolved here, only for those."""
        if status == 404:
            return UNMATCHED
        if request.path_info.startswith(self._static_prefix):
            return STATIC
        try:
            return "/" + resolve(request.path_info, getattr(request, "urlconf", None)).route
        except Resolver404:
            return UNMATCHED
