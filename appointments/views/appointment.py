"""One appointment: its page, moving and cancelling it, the visit's steps, its calendar file."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.selectors.profiles import patient_profile_of
from appointments import ical, lifecycle, permissions
from appointments.forms import CancelForm
from appointments.models import Appointment
from appointments.selectors.appointments import appointment_get
from appointments.selectors.slots import free_slots
from appointments.services import booking
from appointments.services.status import appointment_set_status
from appointments.views.booking import WEEK, slots_by_local_day
from appointments.views.notices import refusal_notice
from core.errors import DomainError

Status = Appointment.Status
# The buttons of the visit's steps (which ones a user sees: permissions.visit_steps_for).
_STEP_BUTTONS: dict[str, StrOrPromise] = {
    Status.CHECKED_IN: gettext_lazy("Check in"),
    Status.IN_PROGRESS: gettext_lazy("Start visit"),
    Status.COMPLETED: gettext_lazy("Complete visit"),
    Status.BOOKED: gettext_lazy("Undo check-in"),
    Status.NO_SHOW: gettext_lazy("Did not come"),
}
# What the page says after each.
_STEP_DONE: dict[str, StrOrPromise] = {
    Status.CHECKED_IN: gettext_lazy("Checked in."),
    Status.IN_PROGRESS: gettext_lazy("The visit has started."),
    Status.COMPLETED: gettext_lazy("The visit is complete."),
    Status.BOOKED: gettext_lazy("Check-in undone: the appointment is booked again."),
    Status.NO_SHOW: gettext_lazy("Recorded as a no-show."),
}


def visit_step_buttons(
    *, user: User, appointment: Appointment, now: datetime.datetime
) -> list[tuple[str, str]]:
    """(status, button label) of each step of the visit the user may record now."""
    return [
        (step, str(_STEP_BUTTONS[step]))
        for step in permissions.visit_steps_for(user=user, appointment=appointment, now=now)
    ]


def _appointment_or_404(request: HttpRequest, appointment_id: uuid.UUID) -> Appointment:
    appointment = appointment_get(user=signed_in_user(request), public_id=appointment_id)
    if appointment is None:
        raise Http404
    return appointment


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Whole years from ``born`` to ``day`` (born on 29 February: a year older on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _patient_identifiers(*, user: User, appointment: Appointment) -> dict[str, object]:
    if not permissions.can_see_patient_identifiers(user=user, appointment=appointment):
        return {}
    profile = patient_profile_of(user=appointment.patient)
    if profile is None:
        return {}
    return {
        "patient_profile": profile,
        "patient_age": age_on(profile.date_of_birth, timezone.localdate()),
    }


@require_GET
def detail(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    user, now = signed_in_user(request), timezone.now()
    context = {
        "appointment": appointment,
        "can_change": permissions.can_change_booking_now(
            user=user, appointment=appointment, now=now
        ),
        "too_late_online": permissions.must_call_to_change(
            user=user, appointment=appointment, now=now
        ),
        "steps": visit_step_buttons(user=user, appointment=appointment, now=now),
        **_patient_identifiers(user=user, appointment=appointment),
        "show_reason": permissions.can_see_reason(user=user, appointment=appointment),
    }
    return render(request, "appointments/detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    """Three steps, each a page that works without JavaScript: the week's free times (the
    current one left out), then, for the chosen time (``?start=``), a confirmation naming the
    old and the new time, then the move itself (POST)."""
    appointment = _appointment_or_404(request, appointment_id)
    user = signed_in_user(request)
    now = timezone.now()
    if request.method == "POST":
        new_start = parse_datetime(request.POST.get("start", "") or "")
        if new_start is None or timezone.is_naive(new_start):
            messages.error(request, _("Choose one of the times shown."))
            return redirect("appointments:reschedule", appointment_id=appointment_id)
        try:
            booking.appointment_reschedule(
                actor=user, appointment=appointment, new_start=new_start, request=request
            )
        except DomainError as error:
            refusal_notice(request, error)
            return redirect("appointments:reschedule", appointment_id=appointment_id)
        messages.success(request, _("The appointment was moved."))
        return redirect("appointments:detail", appointment_id=appointment_id)
    if "start" in request.GET:
        return _reschedule_confirm(request, appointment, user=user, now=now)
    try:
        date_from = datetime.date.fromisoformat(request.GET.get("date_from", ""))
    except ValueError:
        date_from = timezone.localdate() + datetime.timedelta(days=1)
    slots = [
        slot
        for slot in free_slots(
            appointment_type=appointment.appointment_type,
            practitioners=[appointment.practitioner],
            date_from=date_from,
            date_to=date_from + WEEK,
            now=now,
            ignore_appointment_id=appointment.pk,
            respect_lead_time=permissions.lead_time_applies(user=user),
        )
        # Its own time is free only because it is its own: not a time to move to.
        if slot.start != appointment.start
    ]
    return render(
        request,
        "appointments/reschedule.html",
        {
            "appointment": appointment,
            "slots_by_day": slots_by_local_day(slots),
            "late_starts": {
                slot.start
                for slot in slots
                if permissions.too_late_to_change_at(user=user, start=slot.start, now=now)
            },
            "cutoff_hours": settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS,
            "previous_week": date_from - WEEK - datetime.timedelta(days=1),
            "next_week": date_from + WEEK + datetime.timedelta(days=1),
            "show_previous": date_from > timezone.localdate(),
        },
    )


def _reschedule_confirm(
    request: HttpRequest, appointment: Appointment, *, user: User, now: datetime.datetime
) -> HttpResponse:
    new_start = parse_datetime(request.GET.get("start", "") or "")
    if new_start is None or timezone.is_naive(new_start) or new_start == appointment.start:
        messages.error(request, _("Choose one of the times shown."))
        return redirect("appointments:reschedule", appointment_id=appointment.public_id)
    duration = appointment.end - appointment.start
    return render(
        request,
        "appointments/reschedule_confirm.html",
        {
            "appointment": appointment,
            "new_start": new_start,
            "new_end": new_start + duration,
            "too_late_afterwards": permissions.too_late_to_change_at(
                user=user, start=new_start, now=now
            ),
            "cutoff_hours": settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    user = signed_in_user(request)
    form = CancelForm(
        request.POST or None, reason_required=permissions.cancel_needs_reason(user=user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            booking.appointment_cancel(
                actor=user,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (DomainError, ValidationError) as error:
            refusal_notice(request, error)
            return redirect("appointments:detail", appointment_id=appointment_id)
        messages.success(request, _("The appointment was cancelled."))
        return redirect("appointments:mine")
    return render(
        request,
        "appointments/cancel.html",
        {"appointment": appointment, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def set_status(request: HttpRequest, appointment_id: uuid.UUID, to_status: str) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    if to_status not in lifecycle.SET_BY_HAND:
        raise Http404
    try:
        appointment_set_status(
            actor=signed_in_user(request),
            appointment=appointment,
            to_status=to_status,
            request=request,
            note=request.POST.get("note", "") if to_status == Status.COMPLETED else "",
        )
    except DomainError as error:
        refusal_notice(request, error)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, str(_STEP_DONE[to_status]))
    return redirect(_posted_next(request) or reverse("appointments:detail", args=[appointment_id]))


def _posted_next(request: HttpRequest) -> str:
    """The page a form asked to go back to (e.g. reception's list), only if it is on this
    site: a posted ``next`` must not send a signed-in user to another site (open redirect).
    Other hosts, scheme-relative and backslash URLs, javascript: and the like give ""."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@require_GET
def appointment_ics(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    return ical.appointment_file(_appointment_or_404(request, appointment_id))
