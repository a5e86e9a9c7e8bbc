"""iCalendar (RFC 5545) for appointments: one event, or a feed of a user's appointments.

Events carry what a calendar needs and no medical detail: the type of visit, the
practitioner and department, the times; never the reason for the visit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpResponse

from appointments.models import Appointment

_STATUS: dict[str, str] = {
    Appointment.Status.CANCELLED: "CANCELLED",
    Appointment.Status.NO_SHOW: "CANCELLED",
    Appointment.Status.HELD: "TENTATIVE",
}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts: list[str] = []
    current = b""
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > (75 if not parts else 74):
            parts.append(current.decode())
            current = b""
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event(appointment: Appointment, stamp: datetime.datetime) -> list[str]:
    practitioner = appointment.practitioner
    summary = f"{appointment.appointment_type.name} with {practitioner.display_name}"
    return [
        "BEGIN:VEVENT",
        f"UID:{appointment.public_id}@{settings.SITE_DOMAIN.split(':')[0]}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(appointment.start)}",
        f"DTEND:{_utc(appointment.end)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(f'{settings.SITE_NAME}, {practitioner.department.name}')}",
        f"STATUS:{_STATUS.get(appointment.status, 'CONFIRMED')}",
        f"SEQUENCE:{int(appointment.updated_at.timestamp()) if appointment.updated_at else 0}",
        "END:VEVENT",
    ]


def render_calendar(appointments: Iterable[Appointment], *, name: str) -> str:
    """An iCalendar document with one event per appointment."""
    stamp = datetime.datetime.now(tz=datetime.UTC)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{_escape(settings.SITE_NAME)}//Appointments//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for appointment in appointments:
        lines.extend(_event(appointment, stamp))
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


def calendar_response(
    appointments: Iterable[Appointment], *, name: str, filename: str | None = None
) -> HttpResponse:
    """The calendar as an HTTP response (a download when ``filename`` is given), for the pages,
    the API and the private feeds alike."""
    response = HttpResponse(
        render_calendar(appointments, name=name), content_type="text/calendar; charset=utf-8"
    )
    if filename is not None:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def appointment_file(appointment: Appointment) -> HttpResponse:
    """One appointment as a calendar file to download."""
    return calendar_response(
        [appointment], name="Appointment", filename=f"appointment-{appointment.public_id}.ics"
    )
