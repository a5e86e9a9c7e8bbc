"""Project-level pages and probes: home, health, readiness, error pages."""

from __future__ import annotations

import logging
import sys
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, InterfaceError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils.functional import SimpleLazyObject, empty
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.models import User
from accounts.roles import Role
from accounts.selectors.directory import public_locations
from appointments import permissions as appointment_permissions
from core import unavailable
from core.errors import problem_response, wants_json
from core.widgets import DateInput
from hospital import readiness

logger = logging.getLogger("django.request")


# The home page as everyone signed out sees it (no form, no token, nothing of the reader),
# rendered once per process and per what it shows (in each language): the busiest page costs
# no template work.
_SIGNED_OUT_HOME: dict[tuple[object, ...], bytes] = {}
_SIGNED_OUT_HOME_MAX_ENTRIES = 64


@login_not_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # The departments' locations come from the cache (accounts.selectors.directory): a
    # department that moves shows on the next page, without a query.
    locations = [
        {"name": place.name, "location": place.location, "directions": place.directions}
        for place in public_locations()
    ]
    context = {"locations": locations}
    if request.user.is_authenticated or messages.get_messages(request):
        return render(request, "home.html", context)
    key = (
        settings.SITE_NAME,
        static("css/site.css"),
        get_language(),
        tuple(tuple(place.values()) for place in locations),
    )
    page = _SIGNED_OUT_HOME.get(key)
    if page is None:
        response = render(request, "home.html", context)
        if len(_SIGNED_OUT_HOME) >= _SIGNED_OUT_HOME_MAX_ENTRIES:
            _SIGNED_OUT_HOME.clear()  # old locations: never read again
        _SIGNED_OUT_HOME[key] = response.content
        return response
    return HttpResponse(page)


def role_home_url(user: User) -> str:
    """Where a person starts after signing in: the page of their day's work, decided by the
    predicates that decide what the navigation offers them."""
    if user.is_patient:
        return "appointments:mine"
    if appointment_permissions.can_manage_schedules(user=user):
        return "appointments:manage"
    if appointment_permissions.can_open_reception(user=user):
        return "appointments:reception"
    if appointment_permissions.can_view_schedules(user=user):
        return "appointments:schedule"
    if user.role == Role.COMPLIANCE_OFFICER and user.may_use_admin_site:
        return "admin:index"  # the audit trail lives there until compliance has its own pages
    return "accounts:dashboard"


@never_cache
@require_GET
def start(request: HttpRequest) -> HttpResponse:
    """LOGIN_REDIRECT_URL: the signed-in person's home for their role (a ?next= given to the
    sign-in goes there instead, as allauth decides before it comes here)."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - LoginRequiredMiddleware sent everyone else to sign in
    return redirect(role_home_url(user))


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


def _user_loaded_so_far(request: HttpRequest) -> User | AnonymousUser:
    """The signed-in user if the request has already loaded it, else anonymous: evaluating
    the lazy ``request.user`` (and django-otp's wrapper around it) would query."""
    user: object = getattr(request, "user", None)
    while type(user) is SimpleLazyObject:
        wrapped = user._wrapped  # type: ignore[attr-defined]  # LazyObject internals
        if wrapped is empty:
            return AnonymousUser()
        user = wrapped
    return user if isinstance(user, User) else AnonymousUser()


def _user_failing_soft(request: HttpRequest) -> User | AnonymousUser:
    """The signed-in user, loaded if need be; anonymous when the database cannot say."""
    try:
        user = getattr(request, "user", None)
        return user if isinstance(user, User) and user.is_authenticated else AnonymousUser()
    except (DatabaseError, InterfaceError):
        return AnonymousUser()


def _error_page(
    request: HttpRequest,
    *,
    status: int,
    code: str,
    title: str,
    message: str,
    database_available: bool = True,
) -> HttpResponse:
    """An error page or problem that renders without the database.

    The layout's navigation and the context processors read ``request.user``; it is replaced
    by a user that needs no query (the one already loaded, or anonymous when the database is
    the problem), so rendering the error cannot raise again and leave an empty 500.
    """
    if wants_json(request):
        return problem_response(status=status, code=code, detail=message)
    request.user = (
        _user_failing_soft(request) if database_available else _user_loaded_so_far(request)
    )
    context: dict[str, Any] = {"status": status, "title": title, "message": message}
    if not database_available:
        context["messages"] = ()  # queued messages live in the session, maybe in the database
    return render(request, "errors/error.html", context, status=status)


def service_unavailable(request: HttpRequest, error: BaseException | None = None) -> HttpResponse:
    """503 with Retry-After for a database that is down, restarting or out of connections."""
    response: HttpResponse
    if wants_json(request):
        response = unavailable.database_unavailable_problem()
    else:
        response = _error_page(
            request,
            status=503,
            code=unavailable.SERVICE_UNAVAILABLE,
            title=_("Service unavailable"),
            message=str(unavailable.MESSAGE),
            database_available=False,
        )
        response["Retry-After"] = str(unavailable.RETRY_AFTER_SECONDS)
    # One line per request, not a traceback each: an outage is not a bug.
    logger.warning(
        "A backing service is unavailable on %s %s: %r", request.method, request.path, error
    )
    response._has_been_logged = True  # type: ignore[attr-defined]  # read by Django's log_response
    return response


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=400,
        code="BAD_REQUEST",
        title=_("Bad request"),
        message=_(
            "The request could not be understood. Please check what you entered and try again."
        ),
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=403,
        code="PERMISSION_DENIED",
        title=_("Access denied"),
        message=_("You do not have permission to open this page."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=404,
        code="NOT_FOUND",
        title=_("Page not found"),
        message=_("The page you asked for does not exist or is not available to you."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception; an unreachable database is not a bug.
    error = sys.exc_info()[1]
    if unavailable.is_database_unavailable(error):
        return service_unavailable(request, error)
    return _error_page(
        request,
        status=500,
        code="SERVER_ERROR",
        title=_("Something went wrong"),
        message=_(
            "An unexpected error occurred. It has been logged; please try again later "
            "and quote the request id below if you contact support."
        ),
    )


@login_not_required
def api_not_found(request: HttpRequest) -> HttpResponse:
    return problem_response(
        status=404, code="NOT_FOUND", detail=_("No API endpoint at this address.")
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        status=403,
        code="CSRF_FAILED",
        title=_("Form expired"),
        message=_("This form could not be verified. Reload the page and submit it again."),
    )


class _StyleguideForm(forms.Form):
    """Fields as every form shows them: label, help, an error next to its field."""

    full_name = forms.CharField(
        label=gettext_lazy("Full name"), help_text=gettext_lazy("As on an identity document.")
    )
    email = forms.EmailField(label=gettext_lazy("Email address"))
    visit_day = forms.DateField(label=gettext_lazy("Day"), widget=DateInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type of appointment"),
        choices=[
            ("", gettext_lazy("Choose a type")),
            ("gp", gettext_lazy("GP consultation")),
            ("ecg", gettext_lazy("ECG")),
        ],
    )
    reminders = forms.BooleanField(label=gettext_lazy("Remind me by text message"), required=False)


@never_cache
@require_GET
def styleguide(request: HttpRequest) -> HttpResponse:
    """The design system's components on one page, for staff while developing
    (``STYLEGUIDE_ENABLED``, on with DEBUG); a 404 otherwise."""
    user = request.user
    if not settings.STYLEGUIDE_ENABLED or not (
        isinstance(user, User) and (user.is_staff_member or user.is_superuser)
    ):
        raise Http404
    invalid = _StyleguideForm(
        {"refused-full_name": "Ada Lovelace", "refused-email": "not an address"}, prefix="refused"
    )
    invalid.is_valid()
    return render(
        request,
        "styleguide.html",
        {"blank_form": _StyleguideForm(), "invalid_form": invalid},
    )
