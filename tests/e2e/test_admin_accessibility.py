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
from tests.e2e.test_accessibility import _serious_violations, axe_path  # noqa: F401 - fixture


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
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                for path in _admin_pages():
                    response = page.goto(f"{live_server.url}{path}")
                    assert response is not None
                    if response.status != 200:
                        continue  # not this role's page (the permission tests say whose)
                    found = _serious_violations(page, axe_path)
                    if found:
                        problems[f"{path} {scheme} {width} px"] = found

    print(json.dumps(problems, indent=1))
    assert problems == {}
