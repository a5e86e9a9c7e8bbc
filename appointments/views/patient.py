"""The patient's own pages: my appointments, the waitlist, the calendar feed (and the feed
itself, which calendar apps fetch without signing in)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseGone
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.authentication import signed_in_user
from accounts.models import User
from accounts.selectors.profiles import time_zone_of
from appointments import ical, permissions
from appointments.errors import AppointmentNotFound
from appointments.forms import CalendarFeedForm, WaitlistForm
from appointments.selectors.appointments import (
    DEFAULT_PREPARATION,
    appointments_in_feed_of,
    next_appointment_of,
    patient_appointments,
)
from appointments.selectors.calendar import (
    calendar_feed_by_token,
    calendar_feed_is_live,
    calendar_feed_of,
)
from appointments.selectors.schedules import appointment_types_bookable_by, practitioners_for
from appointments.selectors.waitlist import waitlist_of
from appointments.services import calendar, waitlist
from appointments.views.appointment_rows import patient_lists
from appointments.views.notices import refusal_notice
from audit.access import viewed
from audit.services import AuditTarget
from core.errors import DomainError
from core.links import public_url


@require_GET
def my_appointments(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    if permissions.works_from_schedules(user=user):
        return redirect("appointments:schedule")
    mine = patient_appointments(user=user, now=timezone.now())
    # The reader's zone, looked up once (the template's ``viewer_zone`` is this one too).
    viewer_zone = time_zone_of(user=user).key
    lists = patient_lists(mine, viewer_zone=viewer_zone)
    now = timezone.now()
    upcoming = next_appointment_of(user=user, now=now)
    return render(
        request,
        "appointments/my_appointments.html",
        {
            **lists._asdict(),
            "next_appointment": upcoming,
            "next_can_change": upcoming is not None
            and permissions.can_change_booking_now(user=user, appointment=upcoming, now=now),
            "next_preparation": (upcoming.appointment_type.preparation or DEFAULT_PREPARATION)
            if upcoming is not None
            else "",
            "viewer_zone": viewer_zone,
            "cutoff_hours": settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS,
        },
    )


def _answer_offer_or_leave(request: HttpRequest, user: User) -> HttpResponse | None:
    """The buttons of an entry: accept or decline an offered time, leave the waitlist."""
    action, target = request.POST.get("action"), request.POST.get("target", "")
    if action == "accept":
        booked = waitlist.waitlist_accept(actor=user, hold_public_id=target, request=request)
        messages.success(request, _("The offered time is now booked for you."))
        return redirect("appointments:detail", appointment_id=booked.public_id)
    if action == "decline":
        waitlist.waitlist_decline(actor=user, hold_public_id=target, request=request)
        messages.info(request, _("Offer declined. You stay on the waitlist."))
        return redirect("appointments:waitlist")
    if action == "leave":
        entry = waitlist_of(user=user).filter(public_id=target).first()
        if entry is None:
            raise AppointmentNotFound(_("No such waitlist entry."))
        waitlist.waitlist_leave(actor=user, entry=entry, request=request)
        messages.info(request, _("You left the waitlist."))
        return redirect("appointments:waitlist")
    return None


@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_page(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = WaitlistForm(
        request.POST if "join" in request.POST else None,
        types=appointment_types_bookable_by(user=user),
        practitioners=practitioners_for(),
    )
    if request.method == "POST":
        try:
            if "join" in request.POST and form.is_valid():
                waitlist.waitlist_join(
                    actor=user, patient=user, request=request, **form.cleaned_data
                )
                messages.success(
                    request,
                    _("You are on the waitlist. We will offer you a time if one frees up."),
                )
                return redirect("appointments:waitlist")
            answered = _answer_offer_or_leave(request, user)
            if answered is not None:
                return answered
        except (DomainError, ValidationError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                refusal_notice(request, error)
    entries = waitlist_of(user=user).exclude(status="cancelled")
    return render(
        request,
        "appointments/waitlist.html",
        {"form": form, "entries": entries},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def calendar_feed_page(request: HttpRequest) -> HttpResponse:
    """Make, replace or turn off the private link, and choose how it titles appointments."""
    user = signed_in_user(request)
    new_url = None
    feed = calendar_feed_of(user=user)
    form = CalendarFeedForm(
        request.POST if request.method == "POST" else None,
        initial={"title_mode": feed.title_mode} if feed else None,
    )
    action = request.POST.get("action")
    if action == "revoke":
        calendar.calendar_feed_revoke(user=user, request=request)
        messages.info(request, _("The old calendar link no longer works."))
        return redirect("appointments:calendar_feed_page")
    if request.method == "POST" and form.is_valid():
        title_mode = form.cleaned_data["title_mode"] or None
        if action == "title_mode":
            if feed is not None and title_mode:
                calendar.calendar_feed_set_title_mode(
                    user=user, title_mode=title_mode, request=request
                )
                messages.info(request, _("Saved. Your calendar app shows it at its next update."))
            return redirect("appointments:calendar_feed_page")
        token = calendar.calendar_feed_create(user=user, title_mode=title_mode, request=request)
        new_url = public_url(reverse("appointments:calendar_feed", args=[token]))
        feed = calendar_feed_of(user=user)
    return render(
        request,
        "appointments/calendar_feed.html",
        {
            "new_url": new_url,
            "subscribe": subscribe_links(new_url) if new_url else None,
            "feed": feed,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def subscribe_links(feed_url: str) -> dict[str, str]:
    """One-tap subscriptions to the private link: Apple Calendar (and any app that handles
    webcal:), Google Calendar and Outlook.com, each of which fetches the link itself."""
    webcal = "webcal://" + feed_url.split("://", 1)[1]
    return {
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?"
        + urlencode({"url": feed_url, "name": settings.SITE_NAME}),
    }


@never_cache
@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A user's private feed: the secret token in the URL is the credential (revocable). A
    revoked or replaced link answers 410 Gone, so calendar apps stop asking."""
    feed = calendar_feed_by_token(token=token)
    if feed is None:
        raise Http404
    if not calendar_feed_is_live(feed=feed):
        return HttpResponseGone(
            _("This calendar link was turned off."), content_type="text/plain; charset=utf-8"
        )
    appointments = list(appointments_in_feed_of(user=feed.user, now=timezone.now()))
    # No one is signed in: the token is the owner's, and the read is theirs.
    viewed(
        patients=[appointment.patient_id for appointment in appointments],
        target=AuditTarget("appointments.calendar_feed"),
        actor=feed.user,
        request=request,
    )
    return ical.feed_response(appointments, feed=feed)
