"""Pages of the appointments app."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments import ical, selectors
from appointments.services.calendar import calendar_feed_user


@never_cache
@login_not_required
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """A user's private feed: the secret token in the URL is the credential (revocable)."""
    user = calendar_feed_user(token=token)
    if user is None:
        raise Http404
    recent = timezone.now() - datetime.timedelta(days=90)
    appointments = selectors.appointments_visible_to(user=user).filter(end__gte=recent)
    if user.role != "patient":
        appointments = appointments.filter(
            practitioner__user=user
        )  # staff: their own schedule only
    body = ical.render_calendar(appointments, name=f"{user.get_short_name()}'s appointments")
    return HttpResponse(body, content_type="text/calendar; charset=utf-8")
