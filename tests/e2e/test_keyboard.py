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
