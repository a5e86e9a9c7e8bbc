"""Pages of the appointments app: find and book a time, my appointments, waitlist, calendar
feed; staff schedules, the reception list and schedule management. Thin: forms, one
service or selector call, a template."""

from __future__ import annotations

import datetime
import uuid
from itertools import groupby
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from accounts.roles import Role
from appointments import ical, permissions, selectors
from appointments.errors import AppointmentNotFound
from appointments.forms import (
    CancelForm,
    ConfirmBookingForm,
    ExceptionForm,
    FindSlotForm,
    PatientByRecordNumberForm,
    WaitlistForm,
    WorkingHoursForm,
)
from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
)
from appointments.selectors.slots import free_slots
from appointments.services import availability, booking, calendar, waitlist
from core.errors import DomainError

WEEK = datetime.timedelta(days=6)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - login required by middleware
    return request.user


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _is_staff(user: User) -> bool:
    return user.role != Role.PATIENT


def _appointment_or_404(request: HttpRequest, appointment_id: uuid.UUID) -> Appointment:
    appointment = selectors.appointment_get(user=_user(request), public_id=appointment_id)
    if appointment is None:
        raise Http404
    return appointment


def _error_message(request: HttpRequest, error: Exception) -> None:
    if isinstance(error, ValidationError):
        messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, getattr(error, "message", str(error)))


# --- Patients (and reception booking for a patient) -------------------------------------------


@require_GET
def my_appointments(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role in (Role.DOCTOR, Role.NURSE, Role.RECEPTIONIST, Role.ADMIN):
        return redirect("appointments:schedule")
    now = timezone.now()
    visible = selectors.appointments_visible_to(user=user).exclude(status=Appointment.Status.HELD)
    return render(
        request,
        "appointments/my_appointments.html",
        {
            "upcoming": visible.filter(end__gte=now).exclude(status=Appointment.Status.CANCELLED),
            "past": visible.filter(end__lt=now).order_by("-start")[:50],
            "cancelled": visible.filter(end__gte=now, status=Appointment.Status.CANCELLED),
            "offers": selectors.appointments_visible_to(user=user).filter(
                status=Appointment.Status.HELD
            ),
            "cutoff_hours": settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS,
        },
    )


def _find_form(request: HttpRequest, data: object = None) -> FindSlotForm:
    user = _user(request)
    types = selectors.appointment_types_for(patient_bookable_only=not _is_staff(user))
    return FindSlotForm(
        data,
        types=types,
        practitioners=selectors.practitioners_for(),
        staff=_is_staff(user),
        initial={"date_from": timezone.localdate() + datetime.timedelta(days=1)},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Step 1: what and from when (reception first says for whom). Step 2 (same page, with
    the query): the free times."""
    user = _user(request)
    if _is_staff(user) and request.method == "POST":
        who = PatientByRecordNumberForm(request.POST)
        if who.is_valid():
            patient = who.cleaned_data["medical_record_number"].user
            return redirect(f"{reverse('appointments:book')}?patient={patient.public_id}")
        return render(request, "appointments/book.html", {"who_form": who}, status=400)
    if request.method == "POST":
        raise Http404
    if _is_staff(user) and not request.GET.get("patient"):
        return render(request, "appointments/book.html", {"who_form": PatientByRecordNumberForm()})
    form = _find_form(request, request.GET if set(request.GET) - {"patient"} else None)
    if not form.is_bound:
        form.initial["patient"] = request.GET.get("patient", "")
    slots_by_day: list[tuple[datetime.date, list[object]]] = []
    searched = form.is_bound and form.is_valid()
    if searched:
        data = form.cleaned_data
        appointment_type: AppointmentType = data["appointment_type"]
        practitioners = (
            [data["practitioner"]]
            if data["practitioner"]
            else list(
                selectors.practitioners_for(
                    department_id=appointment_type.department_id, appointment_type=appointment_type
                )
            )
        )
        slots = free_slots(
            appointment_type=appointment_type,
            practitioners=practitioners,
            date_from=data["date_from"],
            date_to=data["date_from"] + WEEK,
            now=timezone.now(),
            respect_lead_time=not _is_staff(user),
            patient_id=_booking_patient(request, data).pk,
        )
        slots_by_day = [
            (day, list(group))
            for day, group in groupby(
                slots, key=lambda s: s.start.astimezone(s.practitioner.zone).date()
            )
        ]
    booking_for = None
    if _is_staff(user):
        booking_for = _chosen_patient(request)
        if booking_for is None:
            raise Http404
    context = {
        "form": form,
        "searched": searched,
        "slots_by_day": slots_by_day,
        "booking_for": booking_for,
        "next_week": (form.cleaned_data["date_from"] + WEEK + datetime.timedelta(days=1))
        if searched
        else None,
    }
    return render(
        request,
        "appointments/book.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


def _chosen_patient(request: HttpRequest) -> User | None:
    """The patient reception is booking for (a random public id in the URL, never the MRN)."""
    try:
        public_id = uuid.UUID(request.GET.get("patient", ""))
    except ValueError:
        return None
    return (
        User.objects.filter(public_id=public_id, role=Role.PATIENT, is_active=True)
        .select_related("patient_profile")
        .first()
    )


def _booking_patient(request: HttpRequest, data: dict[str, Any]) -> User:
    """Who the appointment is for: the patient, or the one reception chose."""
    user = _user(request)
    patient = data.get("patient") if _is_staff(user) else user
    assert isinstance(patient, User)  # noqa: S101 - the form requires it for staff
    return patient


def _slot_from_query(
    request: HttpRequest,
) -> tuple[AppointmentType, Practitioner, datetime.datetime, User]:
    try:
        appointment_type = AppointmentType.objects.get(
            public_id=request.GET.get("appointment_type", ""), is_active=True
        )
        practitioner = Practitioner.objects.get(
            public_id=request.GET.get("practitioner", ""), is_active=True
        )
    except (AppointmentType.DoesNotExist, Practitioner.DoesNotExist, ValidationError):
        raise Http404 from None
    start = parse_datetime(request.GET.get("start", "") or "")
    if start is None or timezone.is_naive(start):
        raise Http404
    user = _user(request)
    patient = user
    if _is_staff(user):
        chosen = _chosen_patient(request)
        if chosen is None:
            raise Http404
        patient = chosen
    return appointment_type, practitioner, start, patient


@never_cache
@require_http_methods(["GET", "POST"])
def book_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: confirm the chosen time (and say why)."""
    appointment_type, practitioner, start, patient = _slot_from_query(request)
    form = ConfirmBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = _user(request)
        try:
            appointment = booking.appointment_book(
                actor=user,
                patient=patient,
                practitioner=practitioner,
                appointment_type=appointment_type,
                start=start,
                reason=form.cleaned_data["reason"],
                channel=Appointment.Channel.RECEPTION
                if _is_staff(user)
                else Appointment.Channel.WEB,
                request=request,
            )
        except DomainError as error:
            messages.error(request, error.message)
            query = request.GET.copy()
            query.pop("start", None)
            return redirect(
                f"{reverse('appointments:book')}?{query.urlencode()}&date_from={start.date().isoformat()}"
            )
        messages.success(
            request,
            "Your appointment is booked." if not _is_staff(user) else "The appointment is booked.",
        )
        return redirect("appointments:detail", appointment_id=appointment.public_id)
    context = {
        "form": form,
        "appointment_type": appointment_type,
        "practitioner": practitioner,
        "start": start.astimezone(practitioner.zone),
        "patient": patient,
    }
    return render(
        request, "appointments/book_confirm.html", context, status=400 if form.errors else 200
    )


@require_GET
def detail(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    user = _user(request)
    context = {
        "appointment": appointment,
        "local_start": appointment.start.astimezone(appointment.practitioner.zone),
        "local_end": appointment.end.astimezone(appointment.practitioner.zone),
        "can_change": appointment.status == Appointment.Status.BOOKED
        and permissions.can_change_booking(user=user, appointment=appointment)
        and (_is_staff(user) or timezone.now() <= booking.change_deadline(appointment)),
        "too_late_online": appointment.status == Appointment.Status.BOOKED
        and not _is_staff(user)
        and timezone.now() > booking.change_deadline(appointment),
        "can_check_in": appointment.status == Appointment.Status.BOOKED
        and permissions.can_check_in(user=user, appointment=appointment),
        "can_treat": permissions.can_treat(user=user, appointment=appointment),
        "show_reason": user.role != Role.RECEPTIONIST or appointment.patient_id == user.pk,
    }
    return render(request, "appointments/detail.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    user = _user(request)
    if request.method == "POST":
        new_start = parse_datetime(request.POST.get("start", "") or "")
        if new_start is None or timezone.is_naive(new_start):
            messages.error(request, "Choose one of the times shown.")
            return redirect("appointments:reschedule", appointment_id=appointment_id)
        try:
            booking.appointment_reschedule(
                actor=user, appointment=appointment, new_start=new_start, request=request
            )
        except DomainError as error:
            _error_message(request, error)
            return redirect("appointments:reschedule", appointment_id=appointment_id)
        messages.success(request, "The appointment was moved.")
        return redirect("appointments:detail", appointment_id=appointment_id)
    try:
        date_from = datetime.date.fromisoformat(request.GET.get("date_from", ""))
    except ValueError:
        date_from = timezone.localdate() + datetime.timedelta(days=1)
    slots = free_slots(
        appointment_type=appointment.appointment_type,
        practitioners=[appointment.practitioner],
        date_from=date_from,
        date_to=date_from + WEEK,
        now=timezone.now(),
        ignore_appointment_id=appointment.pk,
        respect_lead_time=not _is_staff(user),
    )
    slots_by_day = [
        (day, list(group))
        for day, group in groupby(
            slots, key=lambda s: s.start.astimezone(s.practitioner.zone).date()
        )
    ]
    return render(
        request,
        "appointments/reschedule.html",
        {
            "appointment": appointment,
            "slots_by_day": slots_by_day,
            "next_week": date_from + WEEK + datetime.timedelta(days=1),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    user = _user(request)
    form = CancelForm(request.POST or None, reason_required=_is_staff(user))
    if request.method == "POST" and form.is_valid():
        try:
            booking.appointment_cancel(
                actor=user,
                appointment=appointment,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except (DomainError, ValidationError) as error:
            _error_message(request, error)
            return redirect("appointments:detail", appointment_id=appointment_id)
        messages.success(request, "The appointment was cancelled.")
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
    if to_status not in (
        Appointment.Status.CHECKED_IN,
        Appointment.Status.IN_PROGRESS,
        Appointment.Status.COMPLETED,
        Appointment.Status.NO_SHOW,
    ):
        raise Http404
    try:
        booking.appointment_set_status(
            actor=_user(request), appointment=appointment, to_status=to_status, request=request
        )
    except DomainError as error:
        _error_message(request, error)
    else:
        messages.success(request, f"Marked as {Appointment.Status(to_status).label.lower()}.")
    return redirect(
        request.POST.get("next") or reverse("appointments:detail", args=[appointment_id])
    )


@require_GET
def appointment_ics(request: HttpRequest, appointment_id: uuid.UUID) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    response = HttpResponse(
        ical.render_calendar([appointment], name="Appointment"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="appointment-{appointment.public_id}.ics"'
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = WaitlistForm(
        request.POST if "join" in request.POST else None,
        types=selectors.appointment_types_for(patient_bookable_only=True),
        practitioners=selectors.practitioners_for(),
    )
    if request.method == "POST":
        action, target = request.POST.get("action"), request.POST.get("target", "")
        try:
            if "join" in request.POST and form.is_valid():
                waitlist.waitlist_join(
                    actor=user, patient=user, request=request, **form.cleaned_data
                )
                messages.success(
                    request, "You are on the waitlist. We will offer you a time if one frees up."
                )
                return redirect("appointments:waitlist")
            if action == "accept":
                booked = waitlist.waitlist_accept(
                    actor=user, hold_public_id=target, request=request
                )
                messages.success(request, "The offered time is now booked for you.")
                return redirect("appointments:detail", appointment_id=booked.public_id)
            if action == "decline":
                waitlist.waitlist_decline(actor=user, hold_public_id=target, request=request)
                messages.info(request, "Offer declined. You stay on the waitlist.")
                return redirect("appointments:waitlist")
            if action == "leave":
                entry = selectors.waitlist_of(user=user).filter(public_id=target).first()
                if entry is None:
                    raise AppointmentNotFound("No such waitlist entry.")
                waitlist.waitlist_leave(actor=user, entry=entry, request=request)
                messages.info(request, "You left the waitlist.")
                return redirect("appointments:waitlist")
        except (DomainError, ValidationError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                _error_message(request, error)
    entries = selectors.waitlist_of(user=user).exclude(status="cancelled")
    return render(
        request,
        "appointments/waitlist.html",
        {"form": form, "entries": entries},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_feed_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    new_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar.calendar_feed_revoke(user=user, request=request)
            messages.info(request, "The old calendar link no longer works.")
            return redirect("appointments:calendar_feed_page")
        token = calendar.calendar_feed_create(user=user, request=request)
        new_url = request.build_absolute_uri(reverse("appointments:calendar_feed", args=[token]))
    has_feed = hasattr(user, "calendar_feed") and user.calendar_feed is not None
    return render(
        request,
        "appointments/calendar_feed.html",
        {"new_url": new_url, "has_feed": has_feed or bool(new_url)},
    )


@never_cache
@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A user's private feed: the secret token in the URL is the credential (revocable)."""
    user = calendar.calendar_feed_user(token=token)
    if user is None:
        raise Http404
    recent = timezone.now() - datetime.timedelta(days=90)
    appointments = selectors.appointments_visible_to(user=user).filter(end__gte=recent)
    if user.role != Role.PATIENT:
        appointments = appointments.filter(
            practitioner__user=user
        )  # staff: their own schedule only
    body = ical.render_calendar(appointments, name=f"{user.get_short_name()}'s appointments")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")


# --- Staff ------------------------------------------------------------------------------------


def _require_schedule_access(user: User) -> None:
    if not permissions.can_view_schedules(user=user):
        raise Http404


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """Day or week schedule of one practitioner or a whole department."""
    user = _user(request)
    _require_schedule_access(user)
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    view = "week" if request.GET.get("view") == "week" else "day"
    if view == "week":
        day -= datetime.timedelta(days=day.weekday())
    days = 7 if view == "week" else 1
    all_practitioners = selectors.practitioners_for()
    practitioners = list(all_practitioners)
    chosen_practitioner = request.GET.get("practitioner", "")
    chosen_department = request.GET.get("department", "")
    own = selectors.practitioner_of(user=user)
    try:
        if chosen_practitioner:
            practitioners = [p for p in practitioners if str(p.public_id) == chosen_practitioner]
        elif chosen_department:
            practitioners = [
                p for p in practitioners if str(p.department.public_id) == chosen_department
            ]
        elif own is not None:
            practitioners = [own]
    except ValueError:
        practitioners = []
    zone = practitioners[0].zone if practitioners else datetime.UTC
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = start + datetime.timedelta(days=days)
    appointments = (
        list(selectors.schedule_for(practitioners=practitioners, start=start, end=end))
        if practitioners
        else []
    )
    by_day = [
        (d, [a for a in appointments if a.start.astimezone(zone).date() == d])
        for d in (day + datetime.timedelta(days=n) for n in range(days))
    ]
    departments = {p.department for p in all_practitioners}
    context = {
        "by_day": by_day,
        "view": view,
        "day": day,
        "zone": zone,
        "practitioners": all_practitioners,
        "departments": sorted(departments, key=lambda d: d.name),
        "chosen_practitioner": chosen_practitioner,
        "chosen_department": chosen_department,
        "previous": day - datetime.timedelta(days=days),
        "following": day + datetime.timedelta(days=days),
        "can_check_in": user.role in permissions.FRONT_DESK,
        "showing": practitioners,
    }
    return render(request, "appointments/schedule.html", context)


@require_GET
def reception(request: HttpRequest) -> HttpResponse:
    """Today's list for the front desk, with check-in."""
    user = _user(request)
    if user.role not in permissions.FRONT_DESK:
        raise Http404
    today = timezone.localdate()
    start = datetime.datetime.combine(
        today, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    appointments = selectors.schedule_for(
        practitioners=selectors.practitioners_for(),
        start=start,
        end=start + datetime.timedelta(days=1),
    )
    return render(
        request, "appointments/reception.html", {"appointments": appointments, "today": today}
    )


@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    if not permissions.can_manage_schedules(user=_user(request)):
        raise Http404
    return render(
        request, "appointments/manage_list.html", {"practitioners": selectors.practitioners_for()}
    )


@never_cache
@require_http_methods(["GET", "POST"])
def manage_practitioner(request: HttpRequest, practitioner_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    if not permissions.can_manage_schedules(user=user):
        raise Http404
    practitioner = (
        Practitioner.objects.select_related("user", "department")
        .filter(public_id=practitioner_id)
        .first()
    )
    if practitioner is None:
        raise Http404
    hours_form = WorkingHoursForm(
        request.POST if request.POST.get("action") == "add_hours" else None
    )
    with timezone.override(practitioner.zone):  # times typed in the practitioner's zone
        exception_form = ExceptionForm(
            request.POST if request.POST.get("action") == "add_exception" else None
        )
        exception_valid = (
            request.POST.get("action") == "add_exception" and exception_form.is_valid()
        )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "add_hours" and hours_form.is_valid():
                availability.working_hours_add(
                    actor=user,
                    practitioner=practitioner,
                    request=request,
                    **hours_form.cleaned_data,
                )
                messages.success(request, "Working hours added.")
                return redirect("appointments:manage_practitioner", practitioner_id=practitioner_id)
            if exception_valid:
                availability.exception_add(
                    actor=user,
                    practitioner=practitioner,
                    request=request,
                    **exception_form.cleaned_data,
                )
                messages.success(request, "Time taken out of the schedule.")
                return redirect("appointments:manage_practitioner", practitioner_id=practitioner_id)
            if action == "remove_hours":
                rule = WorkingHours.objects.filter(
                    practitioner=practitioner, pk=_number(request.POST.get("target", ""))
                ).first()
                if rule is not None:
                    availability.working_hours_remove(actor=user, rule=rule, request=request)
                    messages.success(request, "Working hours removed.")
                return redirect("appointments:manage_practitioner", practitioner_id=practitioner_id)
            if action == "remove_exception":
                exception = AvailabilityException.objects.filter(
                    practitioner=practitioner, pk=_number(request.POST.get("target", ""))
                ).first()
                if exception is not None:
                    availability.exception_remove(actor=user, exception=exception, request=request)
                    messages.success(request, "The time is back in the schedule.")
                return redirect("appointments:manage_practitioner", practitioner_id=practitioner_id)
        except ValidationError as error:
            target_form = hours_form if action == "add_hours" else exception_form
            for field, errors in error.message_dict.items():
                target_form.add_error(field if field in target_form.fields else None, errors)
    context = {
        "practitioner": practitioner,
        "hours": practitioner.working_hours.all(),
        "exceptions": practitioner.exceptions.filter(end__gte=timezone.now()),
        "hours_form": hours_form,
        "exception_form": exception_form,
    }
    has_errors = bool(hours_form.errors or exception_form.errors)
    return render(
        request, "appointments/manage_practitioner.html", context, status=400 if has_errors else 200
    )
