"""End to end, in a real browser, against a real uvicorn serving hospital.asgi:application
(pages and WebSockets on one origin, Redis as the channel layer): a signed-in patient's page
shows their notification as it happens and another patient's page does not; a clinician's
schedule page shows a booking without a reload.

pytest-django's ``live_server`` speaks only HTTP (WSGI), so the server here is uvicorn in a
thread of this process, on a free port (like ``live_server``, it reaches the test database:
an in-memory SQLite database is shared by the threads of one process). Latencies are
measured and printed, never asserted: the assertions wait for the page to change, up to a
generous timeout.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, expect

from accounts.models import User
from appointments.models import Appointment, AppointmentType, Practitioner
from appointments.services import booking
from tests.conftest import login_verified
from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services("REDIS_URL")]

LIVE_JS = "/static/js/site.js"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Generous: a loaded CI machine; the latency printed is what it took.
ARRIVAL_TIMEOUT_MS = 15_000


def signed_in_context(browser: Browser, base_url: str, sign_in: Callable[[Client], Any]) -> Page:
    """A browser whose session cookie is one the server made (for staff, one that passed the
    second factor), and its page; console errors fail the test at the end."""
    client = Client()
    sign_in(client)
    name = django_settings.SESSION_COOKIE_NAME
    context: BrowserContext = browser.new_context()
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": base_url}])
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    return page


def with_live_script(page: Page) -> None:
    """live.js on the page (the schedule and reception pages include it; on other pages it is
    added as base.html would add it), connected."""
    if not page.evaluate("() => Boolean(window.hospitalLive)"):
        page.add_script_tag(url=LIVE_JS)
    page.wait_for_function(
        "() => window.hospitalLive && window.hospitalLive.connected", timeout=ARRIVAL_TIMEOUT_MS
    )


def observe(page: Page, selector: str) -> None:
    """Note in the page when the element first changes (its own clock: Date.now())."""
    page.evaluate(
        """(selector) => {
            window.changedAt = null;
            const target = document.querySelector(selector);
            new MutationObserver((changes, observer) => {
                window.changedAt = Date.now();
                observer.disconnect();
            }).observe(target, {childList: true, subtree: true, characterData: true});
        }""",
        selector,
    )


def in_a_thread(work: Callable[[], Any]) -> float:
    """Run ``work`` (a booking: its push uses async_to_sync, which cannot run in this thread
    beside Playwright's event loop) in a thread; returns when it started, in ms since the
    epoch (the browser's clock, on this machine)."""
    started = time.time() * 1000
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # re-raised below
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=60)
    if failures:
        raise failures[0]
    return started


def clinic() -> tuple[Practitioner, AppointmentType]:
    department = DepartmentFactory.create(name="General Practice")
    consultation = AppointmentTypeFactory.create(
        department=department, name="GP consultation", duration_minutes=20
    )
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    for weekday in range(7):  # open every day: a day ahead always has times
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            valid_from=datetime.date(2020, 1, 1),
        )
    return practitioner, consultation


def booked(patient: User, practitioner: Practitioner, kind: AppointmentType) -> Callable[[], Any]:
    day = datetime.datetime.now(tz=practitioner.zone).date() + datetime.timedelta(days=3)
    start = datetime.datetime.combine(day, datetime.time(9), tzinfo=practitioner.zone)

    def book() -> Appointment:
        return booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=kind,
            start=start,
            channel="web",
        )

    return book


def test_a_patients_page_shows_their_notification_as_it_happens_and_nobody_elses(
    asgi_server: str, browser: Browser
) -> None:
    practitioner, consultation = clinic()
    alice = PatientProfileFactory.create().user
    bob = PatientProfileFactory.create().user
    alice_page = signed_in_context(browser, asgi_server, lambda c: c.force_login(alice))
    bob_page = signed_in_context(browser, asgi_server, lambda c: c.force_login(bob))
    for page in (alice_page, bob_page):
        page.goto(f"{asgi_server}/appointments/")
        with_live_script(page)
        observe(page, "[data-live-toast]")

    started = in_a_thread(booked(alice, practitioner, consultation))

    expect(alice_page.locator("[data-live-toast]")).to_contain_text(
        "booked", timeout=ARRIVAL_TIMEOUT_MS
    )
    expect(alice_page.locator("[data-unread-count]")).to_have_attribute(
        "data-unread-count", "1", timeout=ARRIVAL_TIMEOUT_MS
    )
    latency = alice_page.evaluate("() => window.changedAt") - started
    print(f"\nnotification: booking call to the patient's page changing: {latency:.0f} ms")
    # Bob's page has had the same time and more to show something: it shows nothing.
    bob_page.wait_for_timeout(1000)
    assert bob_page.evaluate("() => window.changedAt") is None
    assert bob_page.evaluate("() => window.hospitalLive.received") == ["hello"]
    expect(bob_page.locator("[data-unread-count]")).to_have_attribute("data-unread-count", "0")
    # A dropped connection comes back by itself (backoff from about a second) and says hello.
    alice_page.evaluate("() => window.hospitalLive.socket.close()")
    alice_page.wait_for_function(
        "() => window.hospitalLive.received.filter((kind) => kind === 'hello').length === 2",
        timeout=ARRIVAL_TIMEOUT_MS,
    )
    expect(alice_page.locator("[data-unread-count]")).to_have_attribute("data-unread-count", "1")


def test_a_clinicians_schedule_page_shows_a_booking_without_a_reload(
    asgi_server: str, browser: Browser
) -> None:
    practitioner, consultation = clinic()
    patient = PatientProfileFactory.create(user__full_name="Ada Lovelace").user
    book = booked(patient, practitioner, consultation)
    day = datetime.datetime.now(tz=practitioner.zone).date() + datetime.timedelta(days=3)
    page = signed_in_context(browser, asgi_server, lambda c: login_verified(c, practitioner.user))
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.goto(f"{asgi_server}/appointments/schedule/?date={day.isoformat()}")
    schedule = page.locator('[data-live="schedule"]')
    expect(schedule).to_contain_text("No appointments.")
    with_live_script(page)
    page.wait_for_function(
        "() => window.hospitalLive.received.includes('watching')", timeout=ARRIVAL_TIMEOUT_MS
    )
    observe(page, '[data-live="schedule"]')
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    started = in_a_thread(book)

    expect(schedule).to_contain_text("Ada Lovelace", timeout=ARRIVAL_TIMEOUT_MS)
    expect(schedule).to_contain_text("GP consultation")
    latency = page.evaluate("() => window.changedAt") - started
    print(f"\nschedule: booking call to the clinician's schedule changing: {latency:.0f} ms")
    expect(page.get_by_role("status").filter(has_text="The schedule was updated.")).to_be_visible()
    assert navigations == []  # no reload
    assert not [text for text in console_errors if "content security policy" in text.lower()]
    if AXE.exists():  # the updated list and the announcement, as axe-core sees them
        page.evaluate(AXE.read_text())
        result = page.evaluate(
            "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
        )
        assert [
            violation["id"]
            for violation in result["violations"]
            if violation["impact"] in ("serious", "critical")
        ] == []
