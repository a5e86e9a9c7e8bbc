"""Request ids: one per request, in the response header and in every log line.

The id lives in a context variable so that it follows the request through sync and
async code; audit rows written while serving the request pick it up. It travels to Celery
tasks in the ``request_id`` message header (``hospital.celery`` sets it on publish and binds
it while the task runs), and outbox rows keep the id of the request that published them, so
a task's log lines and audit rows carry the id of the request that caused them.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar, Token

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_META = "HTTP_X_REQUEST_ID"
# The Celery message header that carries it to a task.
REQUEST_ID_TASK_HEADER = "request_id"
# Accept a caller's id only if it is short and plain, so it is safe in logs and headers.
_WELL_FORMED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$")
_NO_REQUEST = "-"

_current_request_id: ContextVar[str] = ContextVar("request_id", default=_NO_REQUEST)


def current_request_id() -> str:
    """The id of the request being served, or "-" outside a request."""
    return _current_request_id.get()


def bind_request_id(request_id: str) -> Token[str]:
    """Make ``request_id`` current (in a task); ``unbind_request_id`` with the token ends it."""
    return _current_request_id.set(request_id)


def unbind_request_id(token: Token[str]) -> None:
    _current_request_id.reset(token)


def request_id_from_header(value: str | None) -> str:
    """Keep a well-formed incoming id, otherwise make a new one."""
    if value and _WELL_FORMED.match(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id first, so every later middleware and log line sees it."""

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

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        request_id = self._start(request)
        token = _current_request_id.set(request_id)
        try:
            response = self.get_response(request)
            assert isinstance(response, HttpResponseBase)  # noqa: S101 - sync chain
        finally:
            _current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = self._start(request)
        token = _current_request_id.set(request_id)
        try:
            response: HttpResponseBase = await self.get_response(request)  # type: ignore[misc]
        finally:
            _current_request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response

    @staticmethod
    def _start(request: HttpRequest) -> str:
        request_id = request_id_from_header(request.META.get(REQUEST_ID_META))
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id


class RequestIdLogFilter(logging.Filter):
    """Adds ``record.request_id`` so every formatter can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs 4xx/5xx responses after the middleware chain has returned,
            # with the request attached: take the id from there.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True
