"""Cross-origin (CORS) browser access: refused, clearly.

The API serves the hospital's own apps: the mobile apps (not browsers, so CORS does not apply
to them) and the site's own pages (same origin). No other web origin may call it from a
browser, so no response carries ``Access-Control-Allow-*`` headers and a browser keeps every
cross-origin answer from the calling script. A CORS preflight (``OPTIONS`` with ``Origin`` and
``Access-Control-Request-Method``) from another origin gets a plain refusal, 403 problem
details ``CORS_NOT_ALLOWED``, before authentication: without this it met the API's
authentication and answered 401 "not signed in", which reads as a credentials problem. See
docs/security.md ("Cross-origin requests").
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from core.errors import problem_response

CORS_NOT_ALLOWED = "CORS_NOT_ALLOWED"


def is_cross_origin_preflight(request: HttpRequest) -> bool:
    """An OPTIONS request naming an origin other than this site's own."""
    if request.method != "OPTIONS":
        return False
    origin = request.headers.get("Origin")
    if not origin:
        return False
    # Access-Control-Request-Method is not required: an OPTIONS naming a foreign origin is a
    # browser asking across origins either way (fetch() with method OPTIONS is preflighted).
    try:
        own = f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:  # not one of our host names: not our origin either
        return True
    return origin.rstrip("/").lower() != own.lower()


class CrossOriginRefusalMiddleware:
    """Refuses cross-origin preflights with 403 ``CORS_NOT_ALLOWED`` (see the module docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_cross_origin_preflight(request):
            response = problem_response(
                status=403,
                code=CORS_NOT_ALLOWED,
                detail=_(
                    "Cross-origin requests from browsers are not allowed: this API serves "
                    "the hospital's own apps and site only."
                ),
            )
            patch_vary_headers(response, ("Origin",))
            return response
        return self.get_response(request)
