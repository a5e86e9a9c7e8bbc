"""Project-level pages and probes: home, health, readiness, error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.errors import problem_response, wants_json
from hospital import readiness


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches no dependency, so it never flaps with them."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: every configured dependency answers; 503 naming the one that does not."""
    checks = readiness.run_checks()
    ready = all(check.ok for check in checks)
    body: dict[str, Any] = {
        "status": "ok" if ready else "unavailable",
        "checks": {check.name: check.as_dict() for check in checks},
    }
    return JsonResponse(body, status=200 if ready else 503)


def _error_page(
    request: HttpRequest, *, status: int, code: str, title: str, message: str
) -> HttpResponse:
    if wants_json(request):
        return problem_response(status=status, code=code, detail=message)
    context = {"status": status, "title": title, "message": message}
    return render(request, "errors/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=400,
        code="BAD_REQUEST",
        title="Bad request",
        message="The request could not be understood. Please check what you entered and try again.",
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=403,
        code="PERMISSION_DENIED",
        title="Access denied",
        message="You do not have permission to open this page.",
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=404,
        code="NOT_FOUND",
        title="Page not found",
        message="The page you asked for does not exist or is not available to you.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _error_page(
        request,
        status=500,
        code="SERVER_ERROR",
        title="Something went wrong",
        message="An unexpected error occurred. It has been logged; please try again later "
        "and quote the request id below if you contact support.",
    )


@login_not_required
def api_not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(status=404, code="NOT_FOUND", detail="No API endpoint at this address.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        status=403,
        code="CSRF_FAILED",
        title="Form expired",
        message="This form could not be verified. Reload the page and submit it again.",
    )
