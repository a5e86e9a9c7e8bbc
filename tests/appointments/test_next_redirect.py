"""A posted ``next`` on the appointment pages goes only to a path of this site: anything else
(another host, a scheme-relative or backslash URL, a javascript: URL) lands on the default
page, the appointment's own."""

from __future__ import annotations

import pytest
import time_machine

from tests.appointments.conftest import MONDAY, at, book
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UNSAFE = [
    "https://evil.example/",
    "http://evil.example/appointments/reception/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.fixture
def checked_in(patient, practitioner, consultation):
    """Checking in at the desk, ten minutes before the visit."""
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    with time_machine.travel(at(MONDAY, 8, 50), tick=False):
        yield appointment


@pytest.mark.asvs("3.7.2")
@pytest.mark.parametrize("target", UNSAFE)
def test_an_unsafe_next_lands_on_the_appointments_page(target, client, checked_in):
    login_verified(client, UserFactory.create(role="receptionist"))

    response = client.post(
        f"/appointments/{checked_in.public_id}/status/checked_in/", {"next": target}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/appointments/{checked_in.public_id}/"


@pytest.mark.asvs("3.7.2")
@pytest.mark.parametrize("target", ["", "/appointments/reception/", "/appointments/?view=week"])
def test_a_path_of_this_site_is_followed(target, client, checked_in):
    login_verified(client, UserFactory.create(role="receptionist"))

    response = client.post(
        f"/appointments/{checked_in.public_id}/status/checked_in/", {"next": target}
    )

    assert response["Location"] == (target or f"/appointments/{checked_in.public_id}/")


@pytest.mark.asvs("3.7.2")
@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_the_admin_sign_in_passes_on_only_a_next_of_this_site(client, target):
    response = client.get("/admin/login/", {"next": target})

    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
    assert "next=%2Fadmin%2F" in response["Location"]
