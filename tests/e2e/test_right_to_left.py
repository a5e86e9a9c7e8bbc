"""Arabic pages read right to left in Chromium: the computed direction is rtl, the header is
mirrored (the hospital's name on the right, the navigation to its left), the week pager's
arrows point the way the page reads; and the switcher at the foot of the page turns an
Arabic page into an English one and back."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import ROLES
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

HEADER_LAYOUT = """() => {
  const brand = document.querySelector('.brand').getBoundingClientRect();
  const width = document.documentElement.clientWidth;
  return {
    direction: getComputedStyle(document.documentElement).direction,
    bodyDirection: getComputedStyle(document.body).direction,
    brandLeft: brand.left, brandRight: brand.right, width,
    textAlign: getComputedStyle(document.querySelector('main h1')).textAlign,
  };
}"""


def _context(browser: Browser, language: str) -> Any:
    context = browser.new_context(locale=language, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(UI_TIMEOUT_MS)
    return context


@pytest.mark.django_db(transaction=True)
def test_arabic_pages_are_mirrored_and_english_ones_are_not(live_server, browser: Browser):
    layouts = {}
    for language in ("en", "ar"):
        context = _context(browser, language)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        layouts[language] = page.evaluate(HEADER_LAYOUT)
        assert page.evaluate("document.documentElement.lang") == language
        context.close()

    english, arabic = layouts["en"], layouts["ar"]
    assert (english["direction"], english["bodyDirection"]) == ("ltr", "ltr")
    assert (arabic["direction"], arabic["bodyDirection"]) == ("rtl", "rtl")
    # The hospital's name starts the header: on the left in English, on the right in Arabic.
    assert english["brandLeft"] < english["width"] / 4
    assert arabic["brandRight"] > arabic["width"] * 3 / 4
    assert english["textAlign"] in ("start", "left")
    assert arabic["textAlign"] in ("start", "right")


@pytest.mark.django_db(transaction=True)
def test_the_switcher_turns_the_page_into_another_language(live_server, browser: Browser):
    context = _context(browser, "ar")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate("document.dir") == "rtl"

    page.locator("#language-choice").select_option("en")
    page.locator(".language-form button").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/accounts/login/"
    assert page.evaluate("[document.documentElement.lang, document.dir]") == ["en", "ltr"]
    assert page.get_by_role("heading", name="Sign in").is_visible()
    # The cookie keeps it on the next page, whatever the browser asks for.
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.lang") == "en"
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_week_pagers_arrows_point_the_way_the_page_reads(live_server, browser: Browser):
    from django.conf import settings as django_settings
    from django.test import Client

    department = DepartmentFactory.create()
    consultation = AppointmentTypeFactory.create(department=department)
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    for weekday in range(7):
        WorkingHoursFactory.create(
            practitioner=practitioner, weekday=weekday, valid_from=datetime.date(2020, 1, 1)
        )
    patient = PatientProfileFactory.create().user
    client = Client()
    client.force_login(patient)
    arrows = {}
    for language in ("en", "ar"):
        context = _context(browser, language)
        name = django_settings.SESSION_COOKIE_NAME
        context.add_cookies(
            [{"name": name, "value": client.cookies[name].value, "url": live_server.url}]
        )
        page = context.new_page()
        if language == "en":
            page.goto(f"{live_server.url}/appointments/book/")
            page.get_by_label("Type of appointment").select_option(label=str(consultation))
            page.get_by_role("button", name="Show free times").click()
            page.get_by_role("link", name="Next week").click()
            page.wait_for_url("**date_from=**")
            second_week = page.url
        else:
            page.goto(second_week)
        arrows[language] = page.evaluate(
            """() => [
              getComputedStyle(document.querySelector('.pager-previous'), '::before').content,
              getComputedStyle(document.querySelector('.pager-next'), '::after').content,
            ]"""
        )
        context.close()

    assert arrows["en"] == ['"\u2190\u00a0" / ""', '"\u00a0\u2192" / ""']
    assert arrows["ar"] == ['"\u2192\u00a0" / ""', '"\u00a0\u2190" / ""']


@pytest.fixture
def site(transactional_db: Any) -> Any:
    from tests.e2e.site_pages import seed_site

    return seed_site()


@pytest.mark.parametrize("role", ROLES)
def test_arabic_pages_fit_a_phone_and_every_control_is_big_enough(
    role: str, site: Any, live_server: Any, browser: Browser
) -> None:
    """The phone layout check of tests/e2e/test_layout.py on the Arabic pages of every role
    (longer words, right to left): nothing scrolls sideways at 320 or 390 px, every control at
    least 44 x 44 px at 390."""
    from tests.e2e.site_pages import signed_in
    from tests.e2e.test_layout import MEASURE, MINIMUM_TARGET_PX, PHONE_WIDTHS, TARGET_WIDTH

    problems: dict[str, list[str]] = {}
    with signed_in(browser, live_server.url, role, language="ar") as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        for path in site.by_role[role]:
            page.set_viewport_size({"width": TARGET_WIDTH, "height": 800})
            page.goto(f"{live_server.url}{path}")
            assert page.evaluate("document.dir") == "rtl", path
            for width in sorted(PHONE_WIDTHS, key=lambda width: width != TARGET_WIDTH):
                page.set_viewport_size({"width": width, "height": 800})
                measured = page.evaluate(MEASURE, MINIMUM_TARGET_PX)
                found = []
                if measured["overflow"] > 0:
                    found.append(f"scrolls {measured['overflow']} px sideways: {measured['wide']}")
                if width == TARGET_WIDTH:
                    found += [f"small target {target}" for target in measured["small"]]
                if found:
                    problems[f"{path} at {width} px"] = found

    assert problems == {}
