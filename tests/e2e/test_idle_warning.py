"""The idle warning in Chromium: a minute before an idle session would end, a dialog asks;
"Stay signed in" records activity and closes it, and what was typed on the page stays."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, ConsoleMessage, expect

from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.factories import PatientProfileFactory


@pytest.mark.django_db(transaction=True)
def test_the_warning_comes_a_minute_before_and_staying_keeps_the_page(
    live_server: Any, browser: Browser
) -> None:
    patient = PatientProfileFactory.create().user
    client = Client()
    client.force_login(patient)
    context = browser.new_context()
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies(
        [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    console_errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", on_console)
    page.clock.install()  # the page's timers run on a clock the test moves

    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_label("City").fill("Typed but not saved")
    dialog = page.locator("#idle-warning")
    page.clock.fast_forward("28:00")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:05")  # 29 minutes in: one minute left of thirty

    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    with page.expect_response(lambda response: "keep-alive" in response.url) as kept:
        page.get_by_role("button", name="Stay signed in").click()
    assert kept.value.status == 200
    expect(dialog).to_be_hidden()
    expect(page.get_by_label("City")).to_have_value("Typed but not saved")
    assert page.url == f"{live_server.url}/accounts/profile/"

    page.clock.fast_forward("28:00")  # the count started again at "Stay signed in"
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("01:30")
    expect(dialog).to_be_visible()
    # The test server speaks HTTP only: live.js's socket is refused there (its own tests run
    # an ASGI server); any other error counts.
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []
    context.close()
