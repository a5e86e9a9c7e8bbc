"""Liveness probes answered without the rest of the stack.

An orchestrator asks /healthz every few seconds on every process, and its answer never
changes: ``{"status": "ok"}`` with the headers the middleware adds. The first such request
goes through the whole stack as any other; its answer is recorded, and a later request that
is the same in every respect the stack could read (method, path, query, every header but the
request id, scheme, server name and port, client address) gets the recorded answer with a
fresh request id and Expires, without the sessions, CSRF, authentication... that would
produce the same bytes again. Requests with cookies (a session that may end, a CSRF cookie
to renew), credentials or a proxy's X-Request-Start (load shedding decides) always take the
whole stack.

HealthProbeMiddleware sits right after the latency metrics (core.metrics_middleware), which
count replayed probes under their route like any other request, and before everything else.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import ResolverMatch
from django.utils.http import http_date

from core.request_id import REQUEST_ID_HEADER, REQUEST_ID_META, request_id_from_header

# The URL names whose answers are replayed: views that read nothing but the request line.
PROBE_URL_NAMES = frozenset({"healthz"})
# Distinct probe requests remembered per process (a probe sends the same request every time).
PROBE_REPLAYS_PER_PROCESS = 16
# Always the whole stack: a session cookie, a proxy stamp, credentials (never kept in memory).
_ALWAYS_WHOLE_STACK = ("HTTP_COOKIE", "HTTP_X_REQUEST_START", "HTTP_AUTHORIZATION")
_KEY_ENVIRON = ("wsgi.url_scheme", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "QUERY_STRING")

_ReplayKey = tuple[Any, ...]


@dataclass(frozen=True)
class _Recorded:
    status: int
    content: bytes
    headers: tuple[tuple[str, str], ...]
    expires: bool
    resolver_match: ResolverMatch


# Moved by any settings change (tests): every middleware forgets what it recorded.
_settings_generation = [0]


@receiver(setting_changed)
def _forget_recorded_probes(**kwargs: Any) -> None:
    _settings_generation[0] += 1


class _ProbeReplay:
    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.recorded: dict[_ReplayKey, _Recorded] = {}
        self.generation = _settings_generation[0]

    def key(self, request: HttpRequest) -> _ReplayKey | None:
        """The request's identity if it may be (or be recorded as) a probe; None if not."""
        if self.generation != _settings_generation[0]:
            self.paths.clear()
            self.recorded.clear()
            self.generation = _settings_generation[0]
        meta = request.META
        if request.method != "GET" or any(meta.get(name) for name in _ALWAYS_WHOLE_STACK):
            return None
        headers = sorted(
            (name, value)
            for name, value in meta.items()
            if name.startswith("HTTP_") and name != REQUEST_ID_META
        )
        return (
            request.path_info,
            request.path,
            *(meta.get(name) for name in _KEY_ENVIRON),
            *headers,
        )

    def replay(self, request: HttpRequest) -> HttpResponse | None:
        if request.path_info not in self.paths or request.method != "GET":
            return None
        key = self.key(request)
        recorded = self.recorded.get(key) if key is not None else None
        if recorded is None:
            return None
        response = HttpResponse(recorded.content, status=recorded.status)
        headers = response.headers
        for name, value in recorded.headers:
            headers[name] = value
        if recorded.expires:
            headers["Expires"] = http_date()
        # As the request-id middleware and URL resolution would have set them (the request
        # id for the logs, the resolver match for the latency metric's route).
        request_id = request_id_from_header(request.META.get(REQUEST_ID_META))
        request.request_id = request_id  # type: ignore[attr-defined]
        headers[REQUEST_ID_HEADER] = request_id
        request.resolver_match = recorded.resolver_match
        return response

    def record(self, key: _ReplayKey | None, request: HttpRequest, response: Any) -> None:
        match = request.resolver_match
        if (
            key is None
            or match is None
            or match.namespace
            or match.url_name not in PROBE_URL_NAMES
            or len(self.recorded) >= PROBE_REPLAYS_PER_PROCESS
            or not isinstance(response, HttpResponse)
            or response.status_code != 200
            or response.cookies
            or self.generation != _settings_generation[0]
        ):
            return
        self.paths.add(request.path_info)
        self.recorded[key] = _Recorded(
            status=response.status_code,
            content=response.content,
            headers=tuple(
                (name, value)
                for name, value in response.items()
                if name.lower() not in (REQUEST_ID_HEADER.lower(), "expires")
            ),
            expires="Expires" in response,
            resolver_match=match,
        )


class HealthProbeMiddleware:
    """Answers a liveness probe the stack already answered with the same answer (see above)."""

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
        self._probes = _ProbeReplay()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.get_response(request)  # an awaitable: the whole stack, every time
        replayed = self._probes.replay(request)
        if replayed is not None:
            return replayed
        response = self.get_response(request)
        assert isinstance(response, HttpResponseBase)  # noqa: S101 - sync chain
        match = request.resolver_match
        if match is not None and match.url_name in PROBE_URL_NAMES:
            self._probes.record(self._probes.key(request), request, response)
        return response
