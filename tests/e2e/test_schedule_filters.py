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
