"""axe-core finds no serious or critical problem on the Django admin pages an administrator
and the compliance officer use, in light and dark, at a desktop and a phone width."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from accounts.models import PatientProfile, User
from appointments.models import Appointment, Practitioner
from tests.e2e.conftest import UI_TIMEOUT_MS
from tests.e2e.site_pages import SitePages, seed_site, signed_in
from tests.e2e.test_accessibility import axe_path, every_state_of  # noqa: F401 - fixture


@pytest.fixture
def site(transactional_db: Any) -> SitePages:
    return seed_site()


def _admin_pages() -> list[str]:
    appointment = Appointment.objects.order_by("pk").first()
    practitioner = Practitioner.objects.order_by("pk").first()
    user = User.objects.filter(role="patient").order_by("pk").first()
    profile = PatientProfile.objects.order_by("pk").first()
    assert appointment and practitioner and user and profile
    return [
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{user.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/patientprofile/",
        f"/admin/accounts/patientprofile/{profile.pk}/change/",
        "/admin/appointments/appointment/",
        f"/admin/appointments/appointment/{appointment.pk}/change/",
        "/admin/appointments/practitioner/",
        f"/admin/appointments/practitioner/{practitioner.pk}/change/",
        "/admin/appointments/appointmenttype/",
        "/admin/appointments/waitlistentry/",
        "/admin/audit/auditevent/",
    ]


@pytest.mark.parametrize("role", ["admin", "compliance_officer"])
def test_the_admin_pages_pass_axe(
    role: str,
    site: SitePages,
    live_server: Any,
    browser: Browser,
    axe_path: Path,  # noqa: F811
) -> None:
    problems: dict[str, list[str]] = {}
    with signed_in(browser, live_server.url, role) as context:
        page = context.new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        for path in _admin_pages():
            response = page.request.get(f"{live_server.url}{path}", max_redirects=0)
            if response.status != 200:
                continue  # not this role's page (the permission tests say whose)
            for state, found in every_state_of(page, f"{live_server.url}{path}", axe_path).items():
                problems[f"{path} {state}"] = found

    print(json.dumps(problems, indent=1))
    assert problems == {}
