"""Bodies over the upload limit answer 413, not a 500 with a traceback.

Django raises ``RequestDataTooBig`` when a body is read whose Content-Length is over
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (or whose form fields add up to more). Unhandled, it became a
logged 500 on the API and a 400 "bad request" page with an ERROR from the security logger on
pages. A client that sends too much is not a fault of ours: the answer is 413 with problem
details on the API (``PAYLOAD_TOO_LARGE``) and a readable page on the web, logged as a warning.

The middleware is placed last: its ``__call__`` refuses a declared Content-Length over the
limit before any view or ``process_view`` (CSRF reads the form) reads the body (a multipart
body that long is parsed there, since only its form fields count), and its
``process_exception`` runs first of all the middlewares', so a body found too big while a view
reads it never reaches the 500 handler.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.errors import problem_response, wants_json

logger = logging.getLogger("core.payload")

PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"


def _limit_text() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return _("the limit")
    if limit >= 1024 * 1024:
        return f"{limit / (1024 * 1024):.1f} MB"
    return f"{max(1, limit // 1024)} KB"


def payload_too_large_response(request: HttpRequest) -> HttpResponse:
    """413: problem details for API clients, the error page for people."""
    # Translators: limit is a size such as "2.5 MB", or "the limit".
    message = _("The request is too large: send at most %(limit)s.") % {"limit": _limit_text()}
    logger.warning(
        "Request body over the upload limit on %s %s (Content-Length %s)",
        request.method,
        request.path,
        request.META.get("CONTENT_LENGTH") or "-",
    )
    if wants_json(request):
        return problem_response(status=413, code=PAYLOAD_TOO_LARGE, detail=message)
    return render(
        request,
        "errors/error.html",
        {
            "status": 413,
            "title": _("Too much data"),
            "message": message + " " + _("Please shorten what you entered and try again."),
        },
        status=413,
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class PayloadTooLargeMiddleware:
    """Answers 413 to a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or _declared_length(request) <= limit:
            return self.get_response(request)
        if not (request.content_type or "").startswith("multipart/"):
            return payload_too_large_response(request)
        # A multipart body may carry files beyond the limit; only its form fields count.
        # Parse it now, as CSRF's process_view would, so a too-big one answers 413 here.
        try:
            request.POST  # noqa: B018 - parsing is the point
        except RequestDataTooBig:
            return payload_too_large_response(request)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return payload_too_large_response(request)
        return None
