"""Times as people read them: an instant shown in a named time zone, labelled with it.

Every page and email renders times through :func:`describe` (templates: ``{% local_time %}``
of ``core.templatetags.local_time``). Django's ``date`` filter converts an aware datetime to
the *current* time zone before formatting, so ``astimezone(zone)`` followed by ``|date``
silently shows the time in another zone under the first zone's label; here the instant is
formatted in the zone it is labelled with, and nothing else.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _

# Between the time in the page's zone and the same time in the reader's own zone.
YOUR_TIME_SEPARATOR = " \u2014 "
DEFAULT_FORMAT = "l j F Y, H:i"
TIME_ONLY = "H:i"

ZoneLike = zoneinfo.ZoneInfo | datetime.tzinfo | str | None


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this system knows (tzdata)."""
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


def validate_time_zone(value: str) -> None:
    """Model and form validator: an IANA name such as ``Europe/London``."""
    if not is_time_zone(value):
        raise ValidationError(
            _("Enter a time zone name such as Europe/London."), code="invalid_time_zone"
        )


def your_time(time: str, zone: str) -> str:
    """The time in the reader's own zone, labelled as theirs (after the page's time and
    ``YOUR_TIME_SEPARATOR``)."""
    # Translators: a time in the reader's own time zone, after the same time in another zone,
    # e.g. "08:00 your time (Europe/London)". zone is an IANA time zone name.
    return _("%(time)s your time (%(zone)s)") % {"time": time, "zone": zone}


def hospital_zone() -> zoneinfo.ZoneInfo:
    """The deployment's zone (``TIME_ZONE``): the default for everyone without their own."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def zone_named(zone: ZoneLike) -> zoneinfo.ZoneInfo:
    """A ZoneInfo from a ZoneInfo, a name, or None (the hospital's zone)."""
    if zone is None or zone == "":
        return hospital_zone()
    if isinstance(zone, zoneinfo.ZoneInfo):
        return zone
    # A name, or a lazy object standing for one (str() of a ZoneInfo is its key).
    return zoneinfo.ZoneInfo(str(zone))


def _format(value: datetime.datetime, fmt: str) -> str:
    # dateformat formats in the value's own tzinfo (no conversion to the current zone).
    return dateformat.format(value, fmt)


def _span(
    start: datetime.datetime, end: datetime.datetime | None, zone: zoneinfo.ZoneInfo, fmt: str
) -> str:
    local_start = start.astimezone(zone)
    text = _format(local_start, fmt)
    if end is not None:
        local_end = end.astimezone(zone)
        end_fmt = TIME_ONLY if local_end.date() == local_start.date() else fmt
        text = f"{text}\u2013{_format(local_end, end_fmt)}"
    return text


def describe(
    value: datetime.datetime,
    zone: ZoneLike = None,
    fmt: str = DEFAULT_FORMAT,
    *,
    end: datetime.datetime | None = None,
    viewer_zone: ZoneLike = None,
    label: bool = True,
) -> str:
    """``value`` (and ``end``) in ``zone``, labelled with the zone's name; if the reader's own
    zone (``viewer_zone``) differs, the same time in it too, e.g.
    ``Monday 5 July 2027, 09:00 (Europe/Berlin) — 08:00 your time (Europe/London)``."""
    if timezone.is_naive(value):
        raise ValueError("describe() needs an aware datetime")
    place = zone_named(zone)
    text = _span(value, end, place, fmt)
    if not label:
        return text
    text = f"{text} ({place.key})"
    if viewer_zone is None or viewer_zone == "":
        return text
    own = zone_named(viewer_zone)
    if own.key == place.key:
        return text
    same_day = value.astimezone(own).date() == value.astimezone(place).date()
    yours = _span(value, end, own, TIME_ONLY if same_day else fmt)
    return f"{text}{YOUR_TIME_SEPARATOR}{your_time(yours, own.key)}"


class ApiSpeaksUtcMiddleware:
    """The API's instants are in UTC (``...Z``) whatever ``TIME_ZONE`` is: DRF renders a
    datetime in the current zone, so /api/ requests run in UTC. Fields named ``local_*`` carry
    the practitioner's zone explicitly."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        with timezone.override(datetime.UTC):
            return self.get_response(request)
