"""Times for pages that list many: the text of ``{% local_time value zone fmt %}``
(``core.local_time.describe``), built for a whole page at once.

``describe`` goes through Django's ``dateformat`` (~50 µs a time); a list page of hundreds
of times spends most of its CPU there. Here the format is parsed once per page, the day and
month names are looked up once per process and language (as ``dateformat`` names them),
and each (instant, zone) is formatted once. Formats with characters other than the common
ones below (or escapes) go through ``describe`` itself. tests/appointments/test_page_cost.py
checks the two agree, across daylight-saving changes and zones on both sides of midnight.
"""

from __future__ import annotations

import datetime
import functools
import re
import zoneinfo
from collections.abc import Callable

from django.utils.dates import MONTHS, MONTHS_3, WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import get_language

from core.local_time import TIME_ONLY, YOUR_TIME_SEPARATOR, describe, your_time, zone_named

_FORMAT_CHARS = re.compile(r"([DlFMjYHi])")
_UNSUPPORTED = re.compile(r"[\\aAbcdeEfgGhILmnNoOPrsStTUuwWyzZ]")

Piece = str | Callable[[datetime.datetime], str]


def _pieces(fmt: str) -> list[Piece] | None:
    """The format as literal text and field functions, or None where only ``dateformat``
    knows how (a character not handled here, or an escape)."""
    if _UNSUPPORTED.search(fmt):
        return None
    weekdays_abbr = [str(WEEKDAYS_ABBR[n]) for n in range(7)]
    weekdays = [str(WEEKDAYS[n]) for n in range(7)]
    months = {n: str(MONTHS[n]) for n in range(1, 13)}
    months_3 = {n: str(MONTHS_3[n]).title() for n in range(1, 13)}
    fields: dict[str, Callable[[datetime.datetime], str]] = {
        "D": lambda value: weekdays_abbr[value.weekday()],
        "l": lambda value: weekdays[value.weekday()],
        "F": lambda value: months[value.month],
        "M": lambda value: months_3[value.month],
        "j": lambda value: str(value.day),
        "Y": lambda value: f"{value.year:04d}",
        "H": lambda value: f"{value.hour:02d}",
        "i": lambda value: f"{value.minute:02d}",
    }
    return [
        fields[piece] if index % 2 else piece
        for index, piece in enumerate(_FORMAT_CHARS.split(fmt))
        if piece
    ] or [""]


@functools.lru_cache(maxsize=64)
def _pieces_in(fmt: str, language: str | None) -> list[Piece] | None:
    """``_pieces`` once per format and language: the day and month names are translated once
    per process, not on every page (about 4 ms a page when they were)."""
    return _pieces(fmt)


class TimeLabels:
    """``label(value, zone, end=end)`` == ``describe(value, zone, fmt, end=end,
    viewer_zone=viewer_zone)`` (labelled), memoized for the page."""

    def __init__(self, fmt: str, *, viewer_zone: str | None) -> None:
        self.fmt = fmt
        self.viewer_zone = viewer_zone
        self._own = zone_named(viewer_zone) if viewer_zone else None
        self._pieces = _pieces_in(fmt, get_language())
        self._time_only = _pieces_in(TIME_ONLY, get_language())
        self._labels: dict[tuple[datetime.datetime, datetime.datetime | None, str], str] = {}

    def label(
        self,
        value: datetime.datetime,
        zone: zoneinfo.ZoneInfo,
        *,
        end: datetime.datetime | None = None,
    ) -> str:
        key = (value, end, zone.key)
        text = self._labels.get(key)
        if text is None:
            text = self._labels[key] = self._describe(value, end, zone)
        return text

    def _describe(
        self, value: datetime.datetime, end: datetime.datetime | None, zone: zoneinfo.ZoneInfo
    ) -> str:
        pieces, time_only = self._pieces, self._time_only
        if pieces is None or time_only is None or value.tzinfo is None:
            return describe(value, zone, self.fmt, end=end, viewer_zone=self.viewer_zone)
        local = value.astimezone(zone)
        text = f"{_span(local, end, zone, pieces, time_only)} ({zone.key})"
        own = self._own
        if own is None or own.key == zone.key:
            return text
        yours = value.astimezone(own)
        yours_pieces = time_only if yours.date() == local.date() else pieces
        yours_text = _span(yours, end, own, yours_pieces, time_only)
        return f"{text}{YOUR_TIME_SEPARATOR}{your_time(yours_text, own.key)}"


def _span(
    local: datetime.datetime,
    end: datetime.datetime | None,
    zone: zoneinfo.ZoneInfo,
    pieces: list[Piece],
    time_only: list[Piece],
) -> str:
    """``core.local_time._span``: the start, and the end (its time alone on the same day)."""
    text = _format(local, pieces)
    if end is None:
        return text
    local_end = end.astimezone(zone)
    end_pieces = time_only if local_end.date() == local.date() else pieces
    return f"{text}\u2013{_format(local_end, end_pieces)}"


def _format(value: datetime.datetime, pieces: list[Piece]) -> str:
    return "".join(piece if isinstance(piece, str) else piece(value) for piece in pieces)
