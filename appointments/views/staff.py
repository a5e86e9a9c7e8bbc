"""Staff pages: the schedules of practitioners and departments, today's list at reception."""

from __future__ import annotations

import datetime

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.authentication import signed_in_user
from appointments import permissions
from appointments.selectors.appointments import schedule_visible_to
from appointments.selectors.schedules import practitioner_of, practitioners_for
from appointments.views.appointment import visit_step_buttons


@require_GET
def schedule(request: HttpRequest) -> HttpResponse:
    """Day or week schedule of one practitioner or a whole department (by default, the
    user's own)."""
    user = signed_in_user(request)
    if not permissions.can_view_schedules(user=user):
        raise Http404
    try:
        day = datetime.date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        day = timezone.localdate()
    view = "week" if request.GET.get("view") == "week" else "day"
    if view == "week":
        day -= datetime.timedelta(days=day.weekday())
    days = 7 if view == "week" else 1
    everyone = list(practitioners_for())
    chosen_practitioner = request.GET.get("practitioner", "")
    chosen_department = request.GET.get("department", "")
    if chosen_practitioner:
        showing = [p for p in everyone if str(p.public_id) == chosen_practitioner]
    elif chosen_department:
        showing = [p for p in everyone if str(p.department.public_id) == chosen_department]
    else:
        own = practitioner_of(user=user)
        showing = [own] if own is not None else everyone
    zone = showing[0].zone if showing else datetime.UTC
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    end = start + datetime.timedelta(days=days)
    entries = (
        schedule_visible_to(user=user, practitioners=showing, start=start, end=end)
        if showing
        else []
    )
    by_day = [
        (d, [e for e in entries if e.start.astimezone(e.practitioner.zone).date() == d])
        for d in (day + datetime.timedelta(days=n) for n in range(days))
    ]
    context = {
        "by_day": by_day,
        "view": view,
        "day": day,
        "practitioners": everyone,
        "departments": sorted({p.department for p in everyone}, key=lambda d: d.name),
        "chosen_practitioner": chosen_practitioner,
        "chosen_department": chosen_department,
        "previous": day - datetime.timedelta(days=days),
        "following": day + datetime.timedelta(days=days),
        "showing": showing,
    }
    return render(request, "appointments/schedule.html", context)


@require_GET
def reception(request: HttpRequest) -> HttpResponse:
    """Today's list for the front desk, with check-in."""
    user = signed_in_user(request)
    if not permissions.can_open_reception(user=user):
        raise Http404
    today, now = timezone.localdate(), timezone.now()
    start = datetime.datetime.combine(
        today, datetime.time.min, tzinfo=timezone.get_current_timezone()
    )
    entries = schedule_visible_to(
        user=user,
        practitioners=practitioners_for(),
        start=start,
        end=start + datetime.timedelta(days=1),
    )
    rows = [
        (entry.appointment, visit_step_buttons(user=user, appointment=entry.appointment, now=now))
        for entry in entries
        if entry.appointment is not None
    ]
    return render(
        request,
        "appointments/reception.html",
        {"rows": rows, "today": today, "back_here": reverse("appointments:reception")},
    )
