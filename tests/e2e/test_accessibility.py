"""axe-core (WCAG 2 A and AA rules) finds no serious or critical problem on the main pages."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

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


def _serious_violations(page: Page, axe: Path) -> list[str]:
    # Evaluated through the DevTools protocol: the page's CSP (no inline scripts) stays on.
    page.evaluate(axe.read_text())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}})"
    )
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} element(s))"
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


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


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_every_role_passes_axe_in_both_themes_at_both_widths(
    role: str, site: SitePages, live_server: Any, browser: Browser, axe_path: Path
) -> None:
    problems: dict[str, list[str]] = {}
    with signed_in(browser, live_server.url, role) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for path in site.by_role[role]:
                    page.goto(f"{live_server.url}{path}")
                    found = _serious_violations(page, axe_path)
                    if found:
                        problems[f"{path} {scheme} {width} px"] = found

    print(json.dumps(problems, indent=1))
    assert problems == {}
