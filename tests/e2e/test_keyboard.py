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
