"""Schedule management (administrators): the list of practitioners, and one practitioner's
weekly hours and leave, with one view per change (each posts to its own URL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from appointments import permissions
from appointments.forms import ExceptionForm, WorkingHoursForm
from appointments.models import Practitioner
from appointments.selectors.schedules import (
    exceptions_of,
    practitioner_get,
    practitioners_for,
    working_hours_of,
)
from appointments.services import availability


def _require_manager(request: HttpRequest) -> None:
    if not permissions.can_manage_schedules(user=signed_in_user(request)):
        raise Http404


def _managed_practitioner(request: HttpRequest, practitioner_id: uuid.UUID) -> Practitioner:
    _require_manager(request)
    practitioner = practitioner_get(public_id=practitioner_id)
    if practitioner is None:
        raise Http404
    return practitioner


def _exception_form(practitioner: Practitioner, data: QueryDict) -> ExceptionForm:
    """The posted leave form, validated now: its times are typed in the practitioner's zone."""
    form = ExceptionForm(data)
    with timezone.override(practitioner.zone):
        form.full_clean()
    return form


def _manage_page(
    request: HttpRequest,
    practitioner: Practitioner,
    *,
    refused: WorkingHoursForm | ExceptionForm | None = None,
) -> HttpResponse:
    """The practitioner's schedule page; with a refused form, that form's errors (400)."""
    context = {
        "practitioner": practitioner,
        "hours": working_hours_of(practitioner=practitioner),
        "exceptions": exceptions_of(practitioner=practitioner, ending_after=timezone.now()),
        "hours_form": refused if isinstance(refused, WorkingHoursForm) else WorkingHoursForm(),
        "exception_form": refused if isinstance(refused, ExceptionForm) else ExceptionForm(),
    }
    return render(
        request,
        "appointments/manage_practitioner.html",
        context,
        status=400 if refused is not None else 200,
    )


def _add(
    request: HttpRequest,
    practitioner: Practitioner,
    form: WorkingHoursForm | ExceptionForm,
    *,
    service: Callable[..., object],
    done: str,
) -> HttpResponse:
    """Add what the form describes through the service; back to the page, or the page again
    with the form's errors."""
    if form.is_valid():
        try:
            service(
                actor=signed_in_user(request),
                practitioner=practitioner,
                request=request,
                **form.cleaned_data,
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, done)
            return _back_to_page(practitioner)
    return _manage_page(request, practitioner, refused=form)


def _back_to_page(practitioner: Practitioner) -> HttpResponse:
    return redirect("appointments:manage_practitioner", practitioner_id=practitioner.public_id)


@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    return render(request, "appointments/manage_list.html", {"practitioners": practitioners_for()})


@never_cache
@require_GET
def manage_practitioner(request: HttpRequest, practitioner_id: uuid.UUID) -> HttpResponse:
    return _manage_page(request, _managed_practitioner(request, practitioner_id))


@require_POST
def add_hours(request: HttpRequest, practitioner_id: uuid.UUID) -> HttpResponse:
    practitioner = _managed_practitioner(request, practitioner_id)
    return _add(
        request,
        practitioner,
        WorkingHoursForm(request.POST),
        service=availability.working_hours_add,
        done=_("Working hours added."),
    )


def _remove_after_asking(
    request: HttpRequest,
    practitioner: Practitioner,
    found: Any,
    *,
    shown_as: str,
    remove: Callable[[Any], object],
    done: str,
) -> HttpResponse:
    """GET asks on a page naming what goes and what stays; POST removes. Something already
    gone (a second tab) sends back to the page."""
    if request.method == "GET":
        if found is None:
            return _back_to_page(practitioner)
        return render(
            request,
            "appointments/manage_remove_confirm.html",
            {"practitioner": practitioner, shown_as: found},
        )
    if found is not None:
        remove(found)
        messages.success(request, done)
    return _back_to_page(practitioner)


@never_cache
@require_http_methods(["GET", "POST"])
def remove_hours(
    request: HttpRequest, practitioner_id: uuid.UUID, rule_id: uuid.UUID
) -> HttpResponse:
    practitioner = _managed_practitioner(request, practitioner_id)
    return _remove_after_asking(
        request,
        practitioner,
        working_hours_of(practitioner=practitioner).filter(public_id=rule_id).first(),
        shown_as="hours",
        remove=lambda rule: availability.working_hours_remove(
            actor=signed_in_user(request), rule=rule, request=request
        ),
        done=_("Working hours removed."),
    )


@require_POST
def add_exception(request: HttpRequest, practitioner_id: uuid.UUID) -> HttpResponse:
    practitioner = _managed_practitioner(request, practitioner_id)
    return _add(
        request,
        practitioner,
        _exception_form(practitioner, request.POST),
        service=availability.exception_add,
        done=_("Time taken out of the schedule."),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def remove_exception(
    request: HttpRequest, practitioner_id: uuid.UUID, exception_id: uuid.UUID
) -> HttpResponse:
    practitioner = _managed_practitioner(request, practitioner_id)
    return _remove_after_asking(
        request,
        practitioner,
        exceptions_of(practitioner=practitioner).filter(public_id=exception_id).first(),
        shown_as="exception",
        remove=lambda exception: availability.exception_remove(
            actor=signed_in_user(request), exception=exception, request=request
        ),
        done=_("The time is back in the schedule."),
    )
