"""The schedule's filters apply as soon as one is chosen (the page says so), and Today comes
back to today: in a real browser."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.conftest import login_verified
from tests.factories import DepartmentFactory, PractitionerFactory


@pytest.mark.django_db(transaction=True)
def test_choosing_the_week_view_shows_it_at_once(live_server, browser_page: tuple[Page, list[str]]):
    page, console_errors = browser_page
    doctor = PractitionerFactory.create(department=DepartmentFactory.create(name="Cardiology"))
    client = Client()
    login_verified(client, doctor.user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )

    page.goto(f"{live_server.url}/appointments/schedule/?date=2026-03-04")
    expect(page.get_by_text("The schedule changes as soon as you choose.")).to_be_visible()
    page.get_by_label("View").select_option("week")

    page.wait_for_url("**view=week**")
    # The week of Wednesday 4 March starts on Monday 2 March.
    expect(page.get_by_role("heading", name="Monday 2 March 2026")).to_be_visible()
    page.get_by_role("link", name="Today").click()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    page.wait_for_url(f"**date={today.isoformat()}**")
    expect(
        page.get_by_role("heading", name=f"{monday:%A} {monday.day} {monday:%B %Y}")
    ).to_be_visible()
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []


MEASURE_GRID = """() => {
  const box = (element) => element.getBoundingClientRect();
  const hours = [...document.querySelectorAll('.tg-hour')].map((e) => box(e).top);
  const entries = Object.fromEntries([...document.querySelectorAll('a.tg-entry')].map(
    (e) => [e.querySelector('strong').textContent.slice(0, 5), box(e).height]));
  return {gaps: hours.slice(1).map((top, i) => Math.round(top - hours[i])), entries};
}"""


@pytest.fixture
def week_with_a_short_and_a_long_visit(transactional_db):
    """A clinician's Monday with a 15- and a 45-minute visit, booked before the browser starts
    (a booking tells the clinician's open pages through the channel layer, from this thread)."""
    from tests.appointments.conftest import MONDAY, at, book
    from tests.factories import AppointmentTypeFactory, PatientProfileFactory, WorkingHoursFactory

    monday = MONDAY
    department = DepartmentFactory.create(name="Cardiology")
    quick = AppointmentTypeFactory.create(
        department=department, name="Blood pressure check", duration_minutes=15
    )
    long = AppointmentTypeFactory.create(
        department=department, name="Extended cardiology consultation", duration_minutes=45
    )
    doctor = PractitionerFactory.create(department=department, offers=[quick, long])
    WorkingHoursFactory.create(
        practitioner=doctor, weekday=0, valid_from=monday - datetime.timedelta(days=30)
    )
    patient = PatientProfileFactory.create(user__full_name="Maximiliana Featherstonehaugh").user
    book(patient, doctor, quick, at(monday, 9))
    book(patient, doctor, long, at(monday, 10, 30))  # on the 45-minute grid from 09:00
    return doctor, monday


def test_on_the_time_grid_an_hour_is_always_as_tall_and_a_visit_as_tall_as_it_is_long(
    week_with_a_short_and_a_long_visit, live_server, browser_page: tuple[Page, list[str]]
):
    """Long names wrap in a week's narrow columns: the rows still keep one height, so a
    45-minute visit is three times a quarter-hour one, whatever its text."""
    doctor, monday = week_with_a_short_and_a_long_visit
    page, console_errors = browser_page
    client = Client()
    login_verified(client, doctor.user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto(f"{live_server.url}/appointments/schedule/?date={monday.isoformat()}&view=week")
    measured = page.evaluate(MEASURE_GRID)

    assert len(set(measured["gaps"])) == 1, measured["gaps"]  # every hour as tall
    quarter, three_quarters = measured["entries"]["09:00"], measured["entries"]["10:30"]
    assert abs(three_quarters - 3 * quarter) <= 6, measured["entries"]
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []
