"""Who may do what with appointments, as a table (API; pages share the same predicates).
Deny by default; an appointment the caller may not see is a 404, never a 403 with details."""

from __future__ import annotations

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import sessions
from appointments.models import Appointment
from appointments.services import booking
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import PatientProfileFactory, PractitionerFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "owner",
    "other_patient",
    "its_practitioner",
    "other_practitioner",
    "receptionist",
    "admin",
    "compliance_officer",
)

# action -> {role: expected status}
TABLE = {
    "view": dict(zip(ROLES, (401, 200, 404, 200, 404, 200, 200, 404), strict=True)),
    "cancel": dict(zip(ROLES, (401, 200, 404, 403, 404, 200, 200, 404), strict=True)),
    "reschedule": dict(zip(ROLES, (401, 200, 404, 403, 404, 200, 200, 404), strict=True)),
    "check_in": dict(zip(ROLES, (401, 403, 404, 403, 404, 200, 200, 404), strict=True)),
    "start": dict(zip(ROLES, (401, 403, 404, 200, 404, 403, 403, 404), strict=True)),
    "manage_hours": dict(zip(ROLES, (401, 403, 403, 403, 403, 403, 201, 403), strict=True)),
}
CASES = [
    (action, role, status) for action, roles in TABLE.items() for role, status in roles.items()
]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _client(role: str, owner, practitioner, department) -> APIClient:
    users = {
        "owner": lambda: owner,
        "other_patient": lambda: PatientProfileFactory.create().user,
        "its_practitioner": lambda: practitioner.user,
        "other_practitioner": lambda: PractitionerFactory.create(department=department).user,
        "receptionist": lambda: UserFactory.create(role="receptionist"),
        "admin": lambda: UserFactory.create(role="admin"),
        "compliance_officer": lambda: UserFactory.create(role="compliance_officer"),
    }
    if role == "anonymous":
        return APIClient()
    user = users[role]()
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="verified" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


@pytest.mark.parametrize(
    ("action", "role", "expected"), CASES, ids=[f"{a}-{r}" for a, r, _ in CASES]
)
def test_appointment_permissions(
    action, role, expected, patient, practitioner, consultation, department
):
    appointment = booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=at(MONDAY, 9),
        channel="web",
        now=NOW,
    )
    if action == "start":
        Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")
    # The visit's steps open an hour before the start (APPOINTMENT_CHECK_IN_OPENS_MINUTES).
    on_the_day = at(MONDAY, 8, 30) if action in ("check_in", "start") else NOW
    with time_machine.travel(on_the_day, tick=False):
        client = _client(role, patient, practitioner, department)
        base = f"/api/v1/appointments/{appointment.public_id}"
        requests = {
            "view": lambda: client.get(base),
            "cancel": lambda: client.post(
                f"{base}/cancel", {"reason": "Clinic closed"}, format="json"
            ),
            "reschedule": lambda: client.post(
                f"{base}/reschedule", {"start": at(MONDAY, 11).isoformat()}, format="json"
            ),
            "check_in": lambda: client.post(f"{base}/check-in"),
            "start": lambda: client.post(f"{base}/start"),
            "manage_hours": lambda: client.post(
                f"/api/v1/practitioners/{practitioner.public_id}/working-hours",
                {
                    "weekday": 3,
                    "start_time": "09:00",
                    "end_time": "10:00",
                    "valid_from": "2026-01-01",
                },
                format="json",
            ),
        }

        response = requests[action]()

    assert response.status_code == expected, response.content
    if expected == 404:  # nothing about the appointment leaks
        assert response.json()["code"] == "APPOINTMENT_NOT_FOUND"
        assert set(response.json()) == {"type", "code", "title", "status", "detail", "request_id"}
