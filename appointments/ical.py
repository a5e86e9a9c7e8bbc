"""iCalendar (RFC 5545) for appointments: one event, or a feed of a user's appointments.

Written with the ``icalendar`` library (escaping, folding, UTC times). Events carry what a
calendar needs and no medical detail: the type of visit, the practitioner and department,
the times; never the reason for the visit. In the neutral title mode (feeds synced to a
calendar kept by another company) an event says only "Hospital appointment", when and where.

- UID: the appointment's public id with a fixed suffix, never the site's domain, so a
  calendar keeps recognising the event when the domain setting changes.
- SEQUENCE: the appointment's revision, raised by every change of its time or status.
- Times in UTC (``...Z``): calendar apps show them in the reader's own zone.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from icalendar import Alarm, Calendar, Event, vDuration, vText

from appointments.models import Appointment, CalendarFeed

TitleMode = CalendarFeed.TitleMode

# Host-independent: the part after "@" only makes the UID unique to this application.
UID_SUFFIX = "appointments.hospital"
NEUTRAL_TITLE = gettext_lazy("Hospital appointment")
# Reminders before the start, for appointments still to come as booked.
REMINDERS: tuple[datetime.timedelta, ...] = (
    datetime.timedelta(days=1),
    datetime.timedelta(hours=1),
)
# How often calendar apps should fetch a feed again.
FEED_REFRESH = datetime.timedelta(hours=1)

_STATUS: dict[str, str] = {
    Appointment.Status.CANCELLED: "CANCELLED",
    Appointment.Status.NO_SHOW: "CANCELLED",
    Appointment.Status.HELD: "TENTATIVE",
}
_REMINDED: frozenset[str] = frozenset({Appointment.Status.HELD, Appointment.Status.BOOKED})
# RFC 5545 TEXT admits no control characters except the line break (escaped as \n) and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: str) -> str:
    return _CONTROL.sub("", value)


def event_uid(appointment: Appointment) -> str:
    """The event's UID: stable for the appointment's life, whatever the site is called."""
    return f"{appointment.public_id}@{UID_SUFFIX}"


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC).replace(microsecond=0)


def _event(appointment: Appointment, *, stamp: datetime.datetime, title_mode: str) -> Event:
    practitioner = appointment.practitioner
    if title_mode == TitleMode.NEUTRAL:
        summary, location = str(NEUTRAL_TITLE), settings.SITE_NAME
    else:
        # Translators: a calendar event's title, e.g. "Consultation with Dr Weber".
        summary = _("%(type)s with %(practitioner)s") % {
            "type": appointment.appointment_type.name,
            "practitioner": practitioner.display_name,
        }
        location = f"{settings.SITE_NAME}, {practitioner.department.name}"
    event = Event()
    event.add("uid", event_uid(appointment))
    event.add("dtstamp", stamp)
    event.add("dtstart", _utc(appointment.start))
    event.add("dtend", _utc(appointment.end))
    event.add("summary", _text(summary))
    event.add("location", _text(location))
    event.add("status", _STATUS.get(appointment.status, "CONFIRMED"))
    event.add("sequence", appointment.revision)
    if appointment.updated_at is not None:
        event.add("last-modified", _utc(appointment.updated_at))
    if appointment.status in _REMINDED:
        for before in REMINDERS:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", _text(summary))
            alarm.add("trigger", -before)
            event.add_component(alarm)
    return event


def render_calendar(
    appointments: Iterable[Appointment],
    *,
    name: str,
    title_mode: str = TitleMode.DETAILED,
    refresh: datetime.timedelta | None = None,
) -> bytes:
    """An iCalendar document with one event per appointment (``refresh``: a feed's interval)."""
    stamp = _utc(datetime.datetime.now(tz=datetime.UTC))
    calendar = Calendar()
    calendar.add("prodid", f"-//{_text(settings.SITE_NAME)}//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # Non-standard properties are not typed by the library: say they are TEXT and DURATION.
    calendar.add("x-wr-calname", vText(_text(name)))
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    for appointment in appointments:
        calendar.add_component(_event(appointment, stamp=stamp, title_mode=title_mode))
    document: bytes = calendar.to_ical()
    return document


def calendar_response(
    appointments: Iterable[Appointment],
    *,
    name: str,
    filename: str | None = None,
    title_mode: str = TitleMode.DETAILED,
    refresh: datetime.timedelta | None = None,
) -> HttpResponse:
    """The calendar as an HTTP response (a download when ``filename`` is given), for the pages,
    the API and the private feeds alike."""
    response = HttpResponse(
        render_calendar(appointments, name=name, title_mode=title_mode, refresh=refresh),
        content_type="text/calendar; charset=utf-8",
    )
    if filename is not None:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def feed_response(appointments: Iterable[Appointment], *, feed: CalendarFeed) -> HttpResponse:
    """A private feed, titled as its owner chose, in the owner's language when they chose one
    (calendar apps fetch it without saying which language their reader reads)."""
    language = getattr(feed.user, "language", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        language = translation.get_language()
    with translation.override(language):
        return calendar_response(
            appointments,
            # Translators: the name of a calendar, e.g. "Ada's appointments".
            name=_("%(name)s's appointments") % {"name": feed.user.get_short_name()},
            title_mode=feed.title_mode,
            refresh=FEED_REFRESH,
        )


def appointment_file(appointment: Appointment) -> HttpResponse:
    """One appointment as a calendar file to download."""
    return calendar_response(
        [appointment], name=_("Appointment"), filename=f"appointment-{appointment.public_id}.ics"
    )
