"""axe-core (WCAG 2 A and AA rules) finds no serious or critical problem on the main pages."""

from __future__ import annotations

import datetime
import functools
import json
from pathlib import Path
from typing import Any, Literal

import pytest
from playwright.sync_api import Browser, Page

from tests.conftest import IN_CI
from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import ROLES, SitePages, seed_site, signed_in
from tests.factories import (
    TEST_PASSWORD,
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ANONYMOUS_PAGES = [
    "/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/no/such/page/",
]
PATIENT_PAGES = [
    "/accounts/",
    "/accounts/profile/",
    "/accounts/security/",
    "/accounts/sessions/",
    "/appointments/",
    "/appointments/book/",
    "/appointments/waitlist/",
    "/appointments/calendar-feed/",
]


@pytest.fixture
def axe_path() -> Path:
    if not AXE.exists():
        message = "axe-core is not installed (make install-dev runs npm ci)."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE


def _serious_violations(page: Page, axe: Path | None) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now; ``axe``: inject
    it first (once a page load: None after that)."""
    # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays on.
    if axe is not None:
        page.evaluate(_axe_source(axe))
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} element(s))"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


@functools.cache
def _axe_source(axe: Path) -> str:
    return axe.read_text()


EVERY_STATE: tuple[tuple[int, Literal["light", "dark"]], ...] = (
    (1280, "light"),
    (1280, "dark"),
    (390, "light"),
    (390, "dark"),
)


def every_state_of(
    page: Page,
    url: str,
    axe: Path,
    states: tuple[tuple[int, Literal["light", "dark"]], ...] = EVERY_STATE,
) -> dict[str, list[str]]:
    """Load the page once and check it at each width and in each theme (the width and the
    colour scheme apply without a reload): the findings by "scheme width px"."""
    page.goto(url)
    return every_state_of_this_page(page, axe, states)


def every_state_of_this_page(
    page: Page,
    axe: Path,
    states: tuple[tuple[int, Literal["light", "dark"]], ...] = EVERY_STATE,
    details: str = "",
) -> dict[str, list[str]]:
    """The page as it is now (a form's answer, which a reload would lose) at each width and in
    each theme; ``details``: a script whose list is added to a state's findings."""
    page.evaluate(_axe_source(axe))
    found = {}
    for width, scheme in states:
        page.set_viewport_size({"width": width, "height": 900})
        page.emulate_media(color_scheme=scheme)
        # Colours that transition (the Django admin's) are measured once they have arrived.
        page.evaluate(
            "Promise.all(document.getAnimations()"
            ".filter((animation) => animation.effect.getTiming().iterations !== Infinity)"
            ".map((animation) => animation.finished))"
        )
        problems = _serious_violations(page, None)
        if problems:
            found[f"{scheme} {width} px"] = problems + (page.evaluate(details) if details else [])
    return found


@pytest.mark.django_db(transaction=True)
def test_main_pages_have_no_serious_accessibility_problems(live_server, browser_page, axe_path):
    page, _ = browser_page
    department = DepartmentFactory.create()
    consultation = AppointmentTypeFactory.create(department=department, name="GP consultation")
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner, weekday=0, valid_from=datetime.date(2020, 1, 1)
    )
    patient = PatientProfileFactory.create().user
    problems: dict[str, list[str]] = {}

    for path in ANONYMOUS_PAGES:
        page.goto(f"{live_server.url}{path}")
        problems[path] = _serious_violations(page, axe_path)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in PATIENT_PAGES:
        page.goto(f"{live_server.url}{path}")
        problems[path] = _serious_violations(page, axe_path)

    assert {path: found for path, found in problems.items() if found} == {}


@pytest.fixture
def site(transactional_db: Any) -> SitePages:
    return seed_site()


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_passes_axe_in_both_themes_at_both_widths(
    role: str, language: str, site: SitePages, live_server: Any, browser: Browser, axe_path: Path
) -> None:
    """In English and in Arabic (right to left): both widths in both themes."""
    problems: dict[str, list[str]] = {}
    with signed_in(browser, live_server.url, role, language=language) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        for path in site.by_role[role]:
            url = f"{live_server.url}{path}"
            for state, found in every_state_of(page, url, axe_path).items():
                problems[f"{path} {state}"] = found

    print(json.dumps(problems, indent=1))
    assert problems == {}
