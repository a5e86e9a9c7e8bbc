"""Pieces every app's REST API shares: the documented error response, the bridge from DRF's
request to Django's (services take Django's, for audit rows and rate limits), and the caching
headers of every API response."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

PROBLEM = OpenApiResponse(description="Problem details (RFC 9457): code, detail, field errors.")


def django_request(request: Request) -> HttpRequest:
    """The HttpRequest behind a DRF request (IP, user agent, request id, session)."""
    return request._request


API_PREFIX = "/api/"


class ApiCachingMiddleware:
    """Every /api/ response, errors included, is ``Cache-Control: no-store`` and varies on
    ``Authorization``: responses carry medical data and tokens (RFC 6749 section 5.1 asks
    no-store of token responses), and mobile HTTP caches keep GET responses otherwise.

    Placed right after the request-id middleware, so the answers of every later middleware
    (an expired session's 401, a rate limit's 429) get the headers too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            response["Cache-Control"] = "no-store"
            patch_vary_headers(response, ("Authorization",))
        return response
