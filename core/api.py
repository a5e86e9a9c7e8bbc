"""Pieces every app's REST API shares: the documented error response and the bridge from
DRF's request to Django's (services take Django's, for audit rows and rate limits)."""

from __future__ import annotations

from django.http import HttpRequest
from drf_spectacular.utils import OpenApiResponse
from rest_framework.request import Request

PROBLEM = OpenApiResponse(description="Problem details (RFC 9457): code, detail, field errors.")


def django_request(request: Request) -> HttpRequest:
    """The HttpRequest behind a DRF request (IP, user agent, request id, session)."""
    return request._request
