"""Finding and booking a time: a patient for themselves, reception for a patient it names."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.authentication import signed_in_user
from accounts.models import PatientProfile, User
from accounts.permissions import can_register_patients
from accounts.selectors.profiles import PATIENTS_SHOWN, time_zone_of
from accounts.selectors.users import patient_get
from accounts.services import lookup, users
from appointments import permissions
from appointments.forms import (
    ChosenSlotForm,
    ConfirmBookingForm,
    DeskRegistrationForm,
    FindSlotForm,
    PatientByRecordNumberForm,
    PatientSearchForm,
)
from appointments.models import Appointment
from appointments.selectors.appointments import same_type_on_the_day
from appointments.selectors.schedules import (
    appointment_types_bookable_by,
    practitioners_for,
    practitioners_offering,
)
from appointments.selectors.slots import Slot, free_slots
from appointments.services import booking
from appointments.views.slot_links import slot_days
from audit.access import viewed
from core.errors import DomainError

WEEK = datetime.timedelta(days=6)


def slots_by_local_day(slots: Sequence[Slot]) -> list[tuple[datetime.date, list[Slot]]]:
    """Free times grouped by their day in the practitioner's time zone."""
    return [
        (day, list(group))
        for day, group in groupby(
            slots, key=lambda slot: slot.start.astimezone(slot.practitioner.zone).date()
        )
    ]


def _week_links(request: HttpRequest, date_from: datetime.date) -> dict[str, str]:
    """The same search a week later and, unless it starts today or earlier, a week earlier
    (never before today: nothing is bookable in the past)."""
    query = request.GET.copy()
    step = WEEK + datetime.timedelta(days=1)
    query["date_from"] = (date_from + step).isoformat()
    links = {
        "next_week_url": f"?{query.urlencode()}",
        # Translators: a week of free times, e.g. "2 March to 8 March".
        "week_label": _("%(first)s to %(last)s")
        % {"first": date_format(date_from, "j F"), "last": date_format(date_from + WEEK, "j F")},
    }
    today = timezone.localdate()
    if date_from > today:
        query["date_from"] = max(today, date_from - step).isoformat()
        links["previous_week_url"] = f"?{query.urlencode()}"
    return links


def _who_page(
    request: HttpRequest,
    *,
    who: PatientByRecordNumberForm | None = None,
    find: PatientSearchForm | None = None,
    found: list[PatientProfile] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Step 0 for the front desk: whom the appointment is for, by record number or found by
    date of birth or phone and name."""
    context = {
        "who_form": who or PatientByRecordNumberForm(),
        "find_form": find or PatientSearchForm(),
        "found": None if found is None else found[:PATIENTS_SHOWN],
        "found_more": found is not None and len(found) > PATIENTS_SHOWN,
    }
    return render(request, "appointments/book.html", context, status=status)


def _patients_found(request: HttpRequest, user: User) -> HttpResponse:
    """Reception's search by date of birth or phone and name (posted: never in a URL)."""
    find = PatientSearchForm(request.POST)
    if not lookup.may_look_up_patients(user=user):
        try:  # audited as refused
            lookup.patients_find(actor=user, request=request)
        except lookup.PatientLookupNotAllowed:
            raise Http404 from None
    if not find.is_valid():
        return _who_page(request, find=find, status=400)
    found = lookup.patients_find(
        actor=user,
        name=find.cleaned_data["name"],
        date_of_birth=find.cleaned_data["date_of_birth"],
        phone=find.cleaned_data["phone"],
        request=request,
    )
    return _who_page(request, find=find, found=found)


def _patient_by_record_number(request: HttpRequest, user: User) -> HttpResponse:
    """Reception names the patient by record number (posted); the search page's URL carries
    only the patient's random public id. Anyone else who posts a number gets a 404, and the
    attempt is audited by the lookup."""
    if any(key.startswith(f"{PatientSearchForm.prefix}-") for key in request.POST):
        return _patients_found(request, user)
    who = PatientByRecordNumberForm(request.POST)
    if who.is_valid():
        try:
            profile = lookup.patient_look_up(
                actor=user,
                medical_record_number=who.cleaned_data["medical_record_number"],
                request=request,
            )
        except lookup.PatientLookupNotAllowed:
            raise Http404 from None
        except lookup.PatientNotFound as error:
            who.add_error("medical_record_number", error.message)
        else:
            return redirect(f"{reverse('appointments:book')}?patient={profile.user.public_id}")
    elif not lookup.may_look_up_patients(user=user):
        raise Http404
    return _who_page(request, who=who, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def register_patient(request: HttpRequest) -> HttpResponse:
    """The front desk registers a walk-in patient, then books for them."""
    user = signed_in_user(request)
    if not can_register_patients(user=user):
        raise Http404
    form = DeskRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = users.patient_register_at_desk(
                registered_by=user, request=request, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _(
                    # Translators: a patient's name and their medical record number.
                    "%(name)s is registered (%(number)s). "
                    "They will get an email to choose a password."
                )
                % {"name": profile.legal_name, "number": profile.medical_record_number},
            )
            return redirect(f"{reverse('appointments:book')}?patient={profile.user.public_id}")
    return render(
        request,
        "appointments/register_patient.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Step 1: what and from when (reception first says for whom). Step 2 (same page, with
    the query): the free times."""
    user = signed_in_user(request)
    if request.method == "POST":
        return _patient_by_record_number(request, user)
    if not permissions.can_open_booking(user=user):
        raise Http404
    for_a_patient = permissions.chooses_the_patient(user=user)
    if for_a_patient and not request.GET.get("patient"):
        return _who_page(request)
    booking_for = None
    if for_a_patient:
        booking_for = patient_get(public_id=request.GET.get("patient", ""))
        if booking_for is None:
            raise Http404
    form = FindSlotForm(
        request.GET if set(request.GET) - {"patient"} else None,
        types=appointment_types_bookable_by(user=user),
        practitioners=practitioners_for(),
        choose_patient=for_a_patient,
        initial={
            "date_from": timezone.localdate() + datetime.timedelta(days=1),
            "patient": request.GET.get("patient", ""),
        },
    )
    searched = form.is_bound and form.is_valid()
    # The reader's zone, looked up once (the template's ``viewer_zone`` is this one too).
    viewer_zone = time_zone_of(user=user).key
    days = []
    if searched:
        search = form.cleaned_data
        slots = free_slots(
            appointment_type=search["appointment_type"],
            practitioners=practitioners_offering(
                appointment_type=search["appointment_type"], practitioner=search["practitioner"]
            ),
            date_from=search["date_from"],
            date_to=search["date_from"] + WEEK,
            now=timezone.now(),
            respect_lead_time=permissions.lead_time_applies(user=user),
            patient_id=(search.get("patient") or user).pk,
        )
        chosen_patient = search.get("patient")
        days = slot_days(
            slots,
            appointment_type_public_id=search["appointment_type"].public_id,
            patient_public_id=chosen_patient.public_id if chosen_patient else None,
            viewer_zone=viewer_zone,
        )
    context = {
        "form": form,
        "searched": searched,
        "slot_days": days,
        "viewer_zone": viewer_zone,
        "booking_for": booking_for,
        **(_week_links(request, form.cleaned_data["date_from"]) if searched else {}),
    }
    return render(
        request,
        "appointments/book.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def book_confirm(request: HttpRequest) -> HttpResponse:
    """Step 3: confirm the chosen time (and say why)."""
    user = signed_in_user(request)
    if not permissions.can_open_booking(user=user):
        raise Http404
    for_a_patient = permissions.chooses_the_patient(user=user)
    chosen = ChosenSlotForm(request.GET, choose_patient=for_a_patient)
    if not chosen.is_valid():
        raise Http404
    slot = chosen.cleaned_data
    patient = slot.get("patient") or user
    if patient != user:  # the reception sees whom they book for
        viewed(patients=[patient.pk], target=patient, actor=user)
    form = ConfirmBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = booking.appointment_book(
                actor=user,
                patient=patient,
                practitioner=slot["practitioner"],
                appointment_type=slot["appointment_type"],
                start=slot["start"],
                reason=form.cleaned_data["reason"],
                channel=Appointment.Channel.WEB,
                request=request,
            )
        except DomainError as error:
            messages.error(request, error.message)
            query = request.GET.copy()
            query.pop("start", None)
            return redirect(
                f"{reverse('appointments:book')}?{query.urlencode()}&date_from={slot['start'].date().isoformat()}"
            )
        messages.success(
            request,
            _("The appointment is booked.") if for_a_patient else _("Your appointment is booked."),
        )
        return redirect("appointments:detail", appointment_id=appointment.public_id)
    context = {
        "form": form,
        "appointment_type": slot["appointment_type"],
        "practitioner": slot["practitioner"],
        "start": slot["start"],
        "patient": patient,
        # The change policy, before booking: whose booking it is decides (a patient's own
        # online changes end at the cut-off; the reception can change it at any time).
        "cutoff_hours": settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS,
        "too_late_afterwards": permissions.too_late_to_change_at(
            user=patient, start=slot["start"], now=timezone.now()
        ),
        "same_day": same_type_on_the_day(
            patient=patient,
            appointment_type=slot["appointment_type"],
            start=slot["start"],
            zone=slot["practitioner"].zone,
        ),
    }
    return render(
        request, "appointments/book_confirm.html", context, status=400 if form.errors else 200
    )
