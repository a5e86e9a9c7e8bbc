"""One clinician's schedule is a time grid: a column a day, each appointment placed by its
wall-clock time in the clinician's zone (quarter hours from 08:00 to 18:00, wider when
something is earlier or later); a department's schedule stays a list a day."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine

from appointments.views.staff import ScheduleRow, time_grid
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


def _row(start: int, end: int) -> ScheduleRow:
    return ScheduleRow("u", "w", "p", "t", "c", "s", starts_at=start, ends_at=end)


def test_rows_sit_on_their_quarter_hours_from_eight():
    grid = time_grid(
        [(MONDAY, [_row(9 * 60, 9 * 60 + 30)]), (MONDAY, [_row(17 * 60 + 45, 18 * 60)])]
    )

    first, second = grid.entries
    # Line 2 is 08:00; 09:00 is four quarters later.
    assert (first.column, first.first_line, first.last_line) == (2, 6, 8)
    assert (second.column, second.first_line, second.last_line) == (3, 41, 42)
    assert grid.hours[0] == ("08:00", 2) and grid.hours[-1] == ("17:00", 38)


def test_an_early_or_late_visit_widens_the_grid_and_a_night_is_cut_at_midnight():
    grid = time_grid([(MONDAY, [_row(6 * 60 + 30, 7 * 60), _row(23 * 60 + 30, 24 * 60)])])

    early, late = grid.entries
    assert grid.hours[0] == ("06:00", 2) and grid.hours[-1] == ("23:00", 70)
    assert (early.first_line, early.last_line) == (4, 6)
    assert (late.first_line, late.last_line) == (72, 74)


def test_a_clinicians_week_is_a_grid_in_their_zone_in_summer(client, department, consultation):
    berlin = PractitionerFactory.create(
        department=department, offers=[consultation], time_zone="Europe/Berlin"
    )
    from tests.factories import WorkingHoursFactory

    WorkingHoursFactory.create(practitioner=berlin, weekday=0)
    # Monday 6 April 2026: Berlin is on summer time (UTC+2); 09:00 there is 07:00 UTC.
    summer = datetime.date(2026, 4, 6)
    book(PatientProfileFactory.create().user, berlin, consultation, at(summer, 7))

    with time_machine.travel(NOW, tick=False):
        login_verified(client, berlin.user)
        html = client.get(
            "/appointments/schedule/", {"date": summer.isoformat(), "view": "week"}
        ).content.decode()

    assert '<div class="time-grid days-7">' in html
    entry = re.search(
        r'<a class="tg-entry tg-c-(\d) tg-s-(\d+) tg-e-(\d+)"[^>]*><strong>([^<]+)', html
    )
    assert entry is not None
    assert entry.groups()[:3] == ("2", "6", "8")  # Monday, 09:00 to 09:30 on the grid
    assert entry.group(4).startswith("09:00")


def test_a_department_stays_a_list_a_day(client, department, practitioner, consultation):
    PractitionerFactory.create(department=department, offers=[consultation])
    with time_machine.travel(NOW, tick=False):
        login_verified(client, practitioner.user)
        html = client.get(
            "/appointments/schedule/",
            {"department": str(department.public_id), "date": MONDAY.isoformat()},
        ).content.decode()

    assert "time-grid" not in html
    assert "No appointments." in html or '<table class="table">' in html
