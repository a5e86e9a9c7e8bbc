"""Staff pages: the schedules of practitioners and departments, today's list at reception."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import NamedTuple

from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from accounts.authentication import signed_in_user
from accounts.selectors.profiles import time_zone_of
from appointments import permissions
from appointments.models import Appointment
from appointments.selectors.appointments import ScheduleEntry, schedule_visible_to
from appointments.selectors.schedules import practitioner_of, practitioners_for
from appointments.views.appointment import visit_step_buttons
from appointments.views.time_labels import TimeLabels
from core.local_time import TIME_ONLY


class ScheduleRow(NamedTuple):
    """A row of a schedule: an appointment (with its link), or a busy block (``url`` empty,
    only the time and the practitioner)."""

    url: str
    when: str
    patient: str
    what: str
    with_whom: str
    status: str
    # Minutes from local midnight (the practitioner's zone) to the start and the end: where
    # the row sits on the time grid.
    starts_at: int = 0
    ends_at: int = 0


def _options(choices: Sequence[tuple[object, str]], chosen: str) -> SafeString:
    """The ``<option>`` elements of a filter (the template looped over ~50 practitioners)."""
    return mark_safe(  # noqa: S308 - every value escaped here
        "".join(
            f'<option value="{conditional_escape(str(value))}"'
            f"{' selected' if chosen == str(value) else ''}>{conditional_escape(label)}</option>"
            for value, label in choices
        )
    )


def _minutes_of_the_day(
    start: datetime.datetime,
    end: datetime.datetime,
    zone: datetime.tzinfo,
    day: datetime.date,
) -> tuple[int, int]:
    """Wall-clock minutes of ``day`` from its midnight, the end cut at the next midnight."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    starts_at = local_start.hour * 60 + local_start.minute
    if local_end.date() > day:
        return starts_at, 24 * 60
    return starts_at, max(local_end.hour * 60 + local_end.minute, starts_at + 1)


# The time grid: quarter hours, from the earliest to the latest quarter that has something
# (at least DEFAULT_GRID_HOURS), as CSS classes (tg-s-N / tg-e-N: grid row lines; the
# stylesheet has one per line, as a Content Security Policy without inline styles needs).
GRID_STEP_MINUTES = 15
DEFAULT_GRID_HOURS = (8, 18)


class GridEntry(NamedTuple):
    row: ScheduleRow
    column: int
    first_line: int
    last_line: int


class TimeGrid(NamedTuple):
    hours: list[tuple[str, int]]  # (label, grid line) of each full hour shown
    days: list[tuple[int, datetime.date]]
    entries: list[GridEntry]
    busy_columns: frozenset[int]  # the days (columns) with something on them


def time_grid(by_day: Sequence[tuple[datetime.date, Sequence[ScheduleRow]]]) -> TimeGrid:
    """One practitioner's days as a grid of quarter hours: a column a day, each row placed
    by its time. Line 1 is the day headings; the first quarter shown is line 2."""
    starts = [row.starts_at for _day, rows in by_day for row in rows]
    ends = [row.ends_at for _day, rows in by_day for row in rows]
    first = min([DEFAULT_GRID_HOURS[0] * 60, *starts]) // 60 * 60
    last = -(-max([DEFAULT_GRID_HOURS[1] * 60, *ends]) // 60) * 60

    def line(minutes: int) -> int:
        return 2 + (min(max(minutes, first), last) - first) // GRID_STEP_MINUTES

    entries = [
        GridEntry(
            row=row,
            column=column,
            first_line=line(row.starts_at),
            last_line=max(line(row.ends_at), line(row.starts_at) + 1),
        )
        for column, (_day, rows) in enumerate(by_day, start=2)
        for row in rows
    ]
    hours = [(f"{hour:02d}:00", line(hour * 60)) for hour in range(first // 60, last // 60)]
    return TimeGrid(
        hours=hours,
        days=[(column, day) for column, (day, _rows) in enumerate(by_day, start=2)],
        entries=entries,
        busy_columns=frozenset(entry.column for entry in entries),
    )


def schedule_rows(
    entries: Sequence[ScheduleEntry], *, days: Sequence[datetime.date], viewer_zone: str
) -> list[tuple[datetime.date, list[ScheduleRow]]]:
    """Each day's rows (the day in the practitioner's zone), with one ``reverse()`` for all
    the links and each time as ``{% local_time start zone "H:i" end=end %}`` reads."""
    times = TimeLabels(TIME_ONLY, viewer_zone=viewer_zone)
    sentinel = str(uuid.UUID(int=0))
    head, tail = reverse("appointments:detail", args=[sentinel]).split(sentinel)
    by_day: dict[datetime.date, list[ScheduleRow]] = defaultdict(list)
    for entry in entries:
        practitioner, appointment = entry.practitioner, entry.appointment
        zone = practitioner.zone
        day = entry.start.astimezone(zone).date()
        starts_at, ends_at = _minutes_of_the_day(entry.start, entry.end, zone, day)
        if appointment is None:
            row = ScheduleRow(
                url="",
                when=times.label(entry.start, zone, end=entry.end),
                patient="",
                what="",
                with_whom=practitioner.display_name,
                status="",
                starts_at=starts_at,
                ends_at=ends_at,
            )
        else:
            row = ScheduleRow(
                url=f"{head}{appointment.public_id}{tail}",
                when=times.label(
                    appointment.start, appointment.practitioner.zone, end=appointment.end
                ),
                patient=appointment.patient.get_full_name(),
                what=appointment.appointment_type.name,
                with_whom=appointment.practitioner.display_name,
                status=appointment.get_status_display(),
                starts_at=starts_at,
                ends_at=ends_at,
            )
        by_day[day].append(row)
    return [(day, by_day.get(day, [])) for day in days]


def _schedule_links(
    request: HttpRequest, *, earlier: datetime.date, later: datetime.date, today: datetime.date
) -> dict[str, str]:
    """The same schedule (practitioner, department, view) on another day."""
    query = request.GET.copy()
    links = {}
    for name, day in (("earlier_url", earlier), ("later_url", later), ("today_url", today)):
        query["date"] = day.isoformat()
        links[name] = f"?{query.urlencode()}"
    return links


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
    # The reader's zone, looked up once (the template's ``viewer_zone`` is this one too).
    viewer_zone = time_zone_of(user=user).key
    by_day = schedule_rows(
        entries,
        days=[day + datetime.timedelta(days=n) for n in range(days)],
        viewer_zone=viewer_zone,
    )
    context = {
        "by_day": by_day,
        # One clinician's days on a time grid; a department's (overlapping columns) as lists.
        "grid": time_grid(by_day) if len(showing) == 1 else None,
        "viewer_zone": viewer_zone,
        "view": view,
        "day": day,
        "practitioner_options": _options(
            [(p.public_id, p.display_name) for p in everyone], chosen_practitioner
        ),
        "department_options": _options(
            [
                (d.public_id, d.name)
                for d in sorted({p.department for p in everyone}, key=lambda d: d.name)
            ],
            chosen_department,
        ),
        "chosen_practitioner": chosen_practitioner,
        "chosen_department": chosen_department,
        **_schedule_links(
            request,
            earlier=day - datetime.timedelta(days=days),
            later=day + datetime.timedelta(days=days),
            today=timezone.localdate(),
        ),
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
    viewer_zone = time_zone_of(user=user).key
    return render(
        request,
        "appointments/reception.html",
        {
            "rows_html": _reception_rows(
                rows,
                viewer_zone=viewer_zone,
                csrf_token=get_token(request),
                back_here=reverse("appointments:reception"),
            ),
            "today": today,
            "viewer_zone": viewer_zone,
        },
    )


# Going back (an undone check-in) and a no-show: not the row's main action.
_SECONDARY_STEPS = frozenset({Appointment.Status.BOOKED, Appointment.Status.NO_SHOW})
_SECONDARY = ' class="secondary"'

# The reception table's columns (reception.html's header, the same words), in order.
RECEPTION_COLUMNS = (
    _("Time"),
    _("Patient"),
    pgettext_lazy("abbreviation of medical record number", "MRN"),
    _("With"),
    _("Status"),
)


def _reception_rows(
    rows: Sequence[tuple[Appointment, list[tuple[str, str]]]],
    *,
    viewer_zone: str,
    csrf_token: str,
    back_here: str,
) -> SafeString:
    """The day's rows (a busy desk has hundreds) as the template wrote them, with
    ``_visit_steps.html``'s forms: one ``reverse()`` per kind of step, every time through
    ``TimeLabels``, every value escaped."""
    times = TimeLabels(TIME_ONLY, viewer_zone=viewer_zone)
    sentinel = str(uuid.UUID(int=0))
    step_urls: dict[str, list[str]] = {}
    hidden = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{conditional_escape(csrf_token)}">'
        f'<input type="hidden" name="next" value="{conditional_escape(back_here)}">'
    )
    detail_url = reverse("appointments:detail", args=[sentinel]).split(sentinel)
    columns = [conditional_escape(column) for column in RECEPTION_COLUMNS]
    html: list[str] = []
    for appointment, steps in rows:
        forms = []
        for step, label in steps:
            url = step_urls.get(step)
            if url is None:
                url = step_urls[step] = reverse(
                    "appointments:set_status", args=[sentinel, step]
                ).split(sentinel)
            forms.append(
                f'<form method="post" action="{conditional_escape(url[0])}{appointment.public_id}'
                f'{conditional_escape(url[1])}">{hidden}'
                f'<button type="submit"{_SECONDARY if step in _SECONDARY_STEPS else ""}>'
                f"{conditional_escape(label)}</button></form>"
            )
        patient = appointment.patient
        profile = getattr(patient, "patient_profile", None)
        practitioner = appointment.practitioner
        # data-label names the column when a narrow screen stacks the row as a card; the
        # time opens the appointment.
        opens = (
            f'<a href="{conditional_escape(detail_url[0])}{appointment.public_id}'
            f'{conditional_escape(detail_url[1])}">'
            f"{conditional_escape(times.label(appointment.start, practitioner.zone))}</a>"
        )
        cells = "".join(
            f'<td data-label="{column}">{conditional_escape(text)}</td>'
            for column, text in zip(
                columns,
                (
                    mark_safe(opens),  # noqa: S308 - escaped above
                    patient.get_full_name(),
                    profile.medical_record_number if profile is not None else "",
                    practitioner.display_name,
                    appointment.get_status_display(),
                ),
                strict=True,
            )
        )
        html.append(
            f'\n    <tr>\n      {cells}\n      <td class="row-actions">{"".join(forms)}</td>\n    </tr>\n  '
        )
    return mark_safe("".join(html))  # noqa: S308 - every value escaped above
