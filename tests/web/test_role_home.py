"""After signing in, each role lands on the page of its day's work, not on "My account"."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role
from tests.conftest import totp_code, web_login
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    PractitionerFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# role -> the page the sign-in ends on
HOMES = {
    Role.PATIENT: "/appointments/",
    Role.DOCTOR: "/appointments/schedule/",
    Role.NURSE: "/appointments/schedule/",
    Role.RECEPTIONIST: "/appointments/reception/",
    Role.ADMIN: "/appointments/manage/",
    Role.COMPLIANCE_OFFICER: "/admin/",
}


def _person(role: Role):
    if role == Role.PATIENT:
        return PatientProfileFactory.create().user
    if role in (Role.DOCTOR, Role.NURSE):
        consultation = AppointmentTypeFactory.create()
        practitioner = PractitionerFactory.create(
            department=consultation.department, offers=[consultation]
        )
        practitioner.user.role = role
        practitioner.user.save(update_fields=["role"])
        return practitioner.user
    if role == Role.RECEPTIONIST:
        return StaffProfileFactory.create(user=UserFactory.create(role=role)).user
    return UserFactory.create(role=role)


def _sign_in(client: Client, user) -> str:
    """The whole web sign-in (password, then the authenticator code for staff); the page it
    ends on."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = None
    if user.role != Role.PATIENT:
        device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    response = web_login(client, user.email)
    assert response.status_code == 302, response.content[:500]
    if device is not None:
        assert response["Location"] == "/accounts/2fa/verify/"
        response = client.post(
            "/accounts/2fa/verify/", {"method": "totp", "code": totp_code(device)}
        )
        assert response.status_code == 302, response.content[:500]
    while response.status_code == 302 and response["Location"].startswith("/start/"):
        response = client.get(response["Location"])
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_lands_on_its_home_and_may_open_it(role: Role) -> None:
    client = Client()
    user = _person(role)

    landed = _sign_in(client, user)

    assert landed == HOMES[role]
    assert client.get(landed).status_code == 200


def test_a_next_page_given_to_the_sign_in_wins_over_the_home() -> None:
    client = Client()
    patient = PatientProfileFactory.create().user

    response = client.post(
        "/accounts/login/?next=/notifications/",
        {"login": patient.email, "password": "a-long-test-passphrase-for-everyone"},
    )

    assert response["Location"] == "/notifications/"


def test_the_start_page_asks_the_signed_out_to_sign_in() -> None:
    response = Client().get("/start/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
