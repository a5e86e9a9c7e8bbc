"""Keyboard use: the Tab order follows the page's reading order, and focus is visible."""

from __future__ import annotations

from typing import Any

import pytest

FOCUSED = """() => {
  const element = document.activeElement;
  return element.name || element.textContent.trim();
}"""
# The focused element draws an outline (the design system's :focus-visible ring).
FOCUS_RING = "() => getComputedStyle(document.activeElement).outlineStyle"


@pytest.mark.django_db(transaction=True)
def test_the_sign_in_page_tabs_from_email_to_password_to_the_button(
    live_server: Any, browser_page: Any
) -> None:
    page, console_errors = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").focus()

    order = []
    rings = []
    for _ in range(3):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUSED))
        rings.append(page.evaluate(FOCUS_RING))

    assert order == ["password", "Sign in", "Forgot your password?"]
    assert rings == ["solid", "solid", "solid"]
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
def test_after_a_failed_save_focus_starts_on_the_error_summary_and_its_link_reaches_the_field(
    live_server: Any, browser_page: Any
) -> None:
    from tests.factories import TEST_PASSWORD, PatientProfileFactory

    page, console_errors = browser_page
    patient = PatientProfileFactory.create().user
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/accounts/profile/")
    page.locator("#id_phone").fill("call me")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_selector(".error-summary")

    focused = page.evaluate("() => document.activeElement.getAttribute('class')")
    page.keyboard.press("Tab")
    link = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    landed = page.evaluate("() => document.activeElement.id")

    assert focused == "error-summary"
    assert link == "#id_phone"
    assert landed == "id_phone"
    # Expected: the refused save answers 400, and the HTTP-only test server has no sockets.
    unexpected = [
        error
        for error in console_errors
        if "/ws/notifications/" not in error and "status of 400" not in error
    ]
    assert unexpected == []


# What the focused element is called: its accessible text, its name, or its href.
FOCUSED_DESCRIPTION = """() => {
  const element = document.activeElement;
  const text = (element.innerText || element.value || '').trim().replace(/\\s+/g, ' ');
  return {tag: element.tagName.toLowerCase(), name: element.name || '', text,
          cls: element.className || '', ring: getComputedStyle(element).outlineStyle,
          own_focus: element.matches(':focus')};
}"""


def _tab_to(page: Any, wanted: Any, *, limit: int = 80) -> None:
    """Press Tab until the focused element is ``wanted`` (a predicate on its description),
    checking that every element passed on the way shows the focus ring."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_DESCRIPTION)
        if focused["tag"] == "body":
            continue
        # A part of a native control (a date input's calendar button) has the focus inside
        # the control: the browser draws that part's ring, and its box matches no :focus.
        if focused["own_focus"]:
            assert focused["ring"] != "none", f"no visible focus on {focused}"
        seen.append(focused["text"] or focused["name"])
        if wanted(focused):
            return
    raise AssertionError(f"never reached it by Tab; went through {seen}")


def _named(text: str) -> Any:
    return lambda focused: focused["text"] == text or focused["text"].startswith(text + " ")


def _field(name: str) -> Any:
    return lambda focused: focused["name"] == name


def _enter(page: Any) -> None:
    """Press Enter on a link or a form's button, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _keyboard_sign_in(page: Any, base_url: str, user: Any, device: Any) -> None:
    from tests.conftest import totp_code
    from tests.factories import TEST_PASSWORD

    page.goto(f"{base_url}/accounts/login/")
    _tab_to(page, _field("login"))
    page.keyboard.type(user.email)
    _tab_to(page, _field("password"))
    page.keyboard.type(TEST_PASSWORD)
    _enter(page)
    page.wait_for_url("**/accounts/2fa/verify/**")
    _tab_to(page, lambda focused: focused["tag"] == "input" and focused["name"] != "")
    page.keyboard.type(totp_code(device))
    _enter(page)


@pytest.mark.django_db(transaction=True)
def test_a_patient_signs_in_with_totp_books_moves_and_cancels_by_keyboard_alone(
    live_server: Any, browser_page: Any
) -> None:
    import datetime

    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from appointments.models import Appointment
    from tests.factories import (
        AppointmentTypeFactory,
        DepartmentFactory,
        PatientProfileFactory,
        PractitionerFactory,
        WorkingHoursFactory,
    )

    page, console_errors = browser_page
    department = DepartmentFactory.create(name="General Practice")
    visit = AppointmentTypeFactory.create(
        department=department, name="GP consultation", duration_minutes=30
    )
    practitioner = PractitionerFactory.create(department=department, offers=[visit])
    # Open from three days ahead: far enough to move and cancel online.
    opens = timezone.localdate() + datetime.timedelta(days=3)
    for weekday in range(7):
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(11),
            valid_from=opens,
        )
    patient = PatientProfileFactory.create().user
    device = TOTPDevice.objects.create(user=patient, name="Phone", confirmed=True)

    _keyboard_sign_in(page, live_server.url, patient, device)
    expect(page.get_by_role("heading", name="My appointments")).to_be_visible()

    _tab_to(page, _named("Book an appointment"))
    _enter(page)
    _tab_to(page, _field("appointment_type"))
    page.keyboard.press("ArrowDown")  # the first type
    _tab_to(page, _named("Show free times"))
    _enter(page)
    page.wait_for_selector("a.slot")
    _tab_to(page, lambda focused: "slot" in focused["cls"])
    _enter(page)
    _tab_to(page, _named("Book it"))
    _enter(page)
    expect(page.get_by_text("Your appointment is booked.")).to_be_visible()
    booked = Appointment.objects.get(patient=patient)
    first_start = booked.start

    _tab_to(page, _named("Move"))
    _enter(page)
    _tab_to(page, lambda focused: "slot" in focused["cls"])
    _enter(page)
    _tab_to(page, _named("Move the appointment"))
    _enter(page)
    expect(page.get_by_text("The appointment was moved.")).to_be_visible()
    booked.refresh_from_db()
    assert booked.start != first_start

    _tab_to(page, _named("Cancel"))
    _enter(page)
    _tab_to(page, _field("reason"))
    page.keyboard.type("Feeling better")
    _tab_to(page, _named("Cancel the appointment"))
    _enter(page)
    expect(page.get_by_text("The appointment was cancelled.")).to_be_visible()
    booked.refresh_from_db()
    assert booked.status == "cancelled"
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []


@pytest.mark.django_db(transaction=True)
def test_reception_checks_a_patient_in_and_undoes_it_by_keyboard_alone(
    live_server: Any, browser_page: Any
) -> None:
    import datetime

    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from playwright.sync_api import expect

    from appointments.models import Appointment
    from tests.factories import (
        AppointmentTypeFactory,
        DepartmentFactory,
        PatientProfileFactory,
        PractitionerFactory,
        UserFactory,
    )

    page, console_errors = browser_page
    department = DepartmentFactory.create()
    visit = AppointmentTypeFactory.create(department=department, duration_minutes=30)
    practitioner = PractitionerFactory.create(department=department, offers=[visit])
    patient = PatientProfileFactory.create().user
    # In twenty minutes (inside the check-in window); just before midnight, five minutes ago
    # instead (still checkable, still today): the row must be on today's list.
    now = timezone.now().replace(second=0, microsecond=0)
    start = now + datetime.timedelta(minutes=20)
    if timezone.localtime(start).date() != timezone.localdate(now):
        start = now - datetime.timedelta(minutes=5)
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=visit,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        blocked_until=start + datetime.timedelta(minutes=30),
        channel="web",
    )
    receptionist = UserFactory.create(role="receptionist")
    device = TOTPDevice.objects.create(user=receptionist, name="Phone", confirmed=True)

    _keyboard_sign_in(page, live_server.url, receptionist, device)
    expect(page.get_by_role("heading", name="Today at reception")).to_be_visible()
    _tab_to(page, _named("Check in"))
    _enter(page)
    expect(page.get_by_text("Checked in.")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"

    _tab_to(page, _named("Undo check-in"))
    _enter(page)
    expect(page.get_by_text("Check-in undone")).to_be_visible()
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert [error for error in console_errors if "/ws/notifications/" not in error] == []
