"""In-page updates with a script, ordinary pages without one: the next week of free times
and marking a notification read change the page in place (no new page load), keep the
address bar right, and say so to screen readers."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from notifications.models import Notification
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)


def _sign_in(page: Page, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    page.context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])


def _mark_the_document(page: Page) -> None:
    """A mark a new page load would wipe out (a history entry pushed in place keeps it)."""
    page.evaluate("window.sameDocument = true")


def _same_document(page: Page) -> bool:
    return bool(page.evaluate("window.sameDocument === true"))


@pytest.mark.django_db(transaction=True)
def test_the_next_week_of_free_times_comes_in_place(
    live_server, browser_page: tuple[Page, list[str]]
):
    page, console_errors = browser_page
    department = DepartmentFactory.create()
    visit = AppointmentTypeFactory.create(department=department, name="GP consultation")
    practitioner = PractitionerFactory.create(department=department, offers=[visit])
    for weekday in range(7):
        WorkingHoursFactory.create(
            practitioner=practitioner, weekday=weekday, valid_from=datetime.date(2020, 1, 1)
        )
    patient = PatientProfileFactory.create().user
    _sign_in(page, live_server.url, patient)
    page.goto(f"{live_server.url}/appointments/book/")
    page.get_by_label("Type of appointment").select_option(label=str(visit))
    page.get_by_role("button", name="Show free times").click()
    first_heading = page.locator("#free-times-heading").inner_text()
    _mark_the_document(page)

    page.get_by_role("link", name="Next week").click()

    expect(page.locator("#free-times-heading")).not_to_have_text(first_heading)
    in_a_week = timezone.localdate() + datetime.timedelta(days=8)
    assert f"date_from={in_a_week.isoformat()}" in page.url
    assert _same_document(page)  # no new page: the region was replaced
    expect(page.locator("[data-swap-status]")).to_contain_text("Free times of")
    assert page.evaluate("document.activeElement.id") == "free-times-heading"
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []


@pytest.mark.django_db(transaction=True)
def test_marking_a_notification_read_updates_the_list_and_the_bell(
    live_server, browser_page: tuple[Page, list[str]]
):
    page, console_errors = browser_page
    patient = PatientProfileFactory.create().user
    for n in range(2):
        Notification.objects.create(
            recipient=patient,
            kind="test",
            category="appointments",
            title=f"Message {n}",
            body="Hello",
        )
    _sign_in(page, live_server.url, patient)
    page.goto(f"{live_server.url}/notifications/")
    _mark_the_document(page)

    page.get_by_role("button", name="Mark read").first.click()

    expect(page.get_by_role("button", name="Mark read")).to_have_count(1)
    expect(page.locator("[data-unread-count]")).to_have_attribute("data-unread-count", "1")
    expect(page.locator("[data-swap-status]")).to_have_text("1 unread.")
    assert _same_document(page)
    assert Notification.objects.filter(recipient=patient, read_at__isnull=True).count() == 1
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []
