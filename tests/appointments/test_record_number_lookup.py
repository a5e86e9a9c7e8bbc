"""Finding a patient by medical record number (the reception's booking form): reception and
administrators only, every lookup audited without the number, one message whether the number
is unknown or belongs to a patient who cannot be booked for, and a rate per user."""

from __future__ import annotations

import json

import pytest
import time_machine

from audit.models import AuditEvent
from tests.appointments.conftest import NOW
from tests.conftest import login_verified, web_login
from tests.factories import PatientProfileFactory, StaffProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

LOOKED_UP = "accounts.patient_looked_up"
NOT_FOUND = "No patient you can book for has this medical record number."


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _lookups():
    return list(AuditEvent.objects.filter(action=LOOKED_UP).order_by("id"))


def _no_number_in(rows, *numbers):
    text = json.dumps([[r.details, r.target_id, r.target_type] for r in rows])
    return not any(n in text or n.lower() in text for n in numbers)


@pytest.mark.asvs("8.2.1", "16.3.2")
@pytest.mark.parametrize("role", ["doctor", "nurse", "compliance_officer"])
def test_only_reception_and_administrators_may_look_a_patient_up(role, client, patient):
    staff = StaffProfileFactory.create(user__role=role).user
    login_verified(client, staff)
    mrn = patient.patient_profile.medical_record_number

    form = client.get("/appointments/book/")
    lookup = client.post("/appointments/book/", {"medical_record_number": mrn})
    confirm = client.get("/appointments/book/confirm/")

    assert (form.status_code, lookup.status_code, confirm.status_code) == (404, 404, 404)
    [row] = _lookups()
    assert (row.outcome, row.actor, row.patient) == ("denied", staff, None)
    assert _no_number_in([row], mrn)


@pytest.mark.asvs("16.3.2")
def test_a_patient_posting_a_record_number_gets_a_404_and_an_audit_row(client, patient):
    other = PatientProfileFactory.create().user
    web_login(client, patient.email)

    lookup = client.post(
        "/appointments/book/",
        {"medical_record_number": other.patient_profile.medical_record_number},
    )

    assert lookup.status_code == 404
    assert [(r.outcome, r.actor) for r in _lookups()] == [("denied", patient)]


@pytest.mark.asvs("8.2.2", "16.3.3", "6.3.8")
@pytest.mark.parametrize("role", ["receptionist", "admin"])
def test_every_lookup_is_audited_and_the_error_does_not_tell_which_numbers_exist(
    role, client, patient
):
    inactive = PatientProfileFactory.create(user__is_active=False)
    desk = UserFactory.create(role=role)
    login_verified(client, desk)
    mrn = patient.patient_profile.medical_record_number

    unknown = client.post("/appointments/book/", {"medical_record_number": "MRN000000000"})
    not_bookable = client.post(
        "/appointments/book/", {"medical_record_number": inactive.medical_record_number}
    )
    found = client.post("/appointments/book/", {"medical_record_number": f" {mrn.lower()} "})

    assert unknown.status_code == not_bookable.status_code == 400
    assert (
        unknown.context["who_form"].errors
        == not_bookable.context["who_form"].errors
        == {"medical_record_number": [NOT_FOUND]}
    )
    assert found.status_code == 302
    assert found["Location"] == f"/appointments/book/?patient={patient.public_id}"
    rows = _lookups()
    assert [(r.outcome, r.actor) for r in rows] == [
        ("failure", desk),
        ("failure", desk),
        ("success", desk),
    ]
    assert rows[2].patient == patient
    assert rows[2].target_id == str(patient.public_id)
    assert rows[0].patient is None and rows[1].patient is None
    assert _no_number_in(rows, mrn, inactive.medical_record_number, "MRN000000000")


@pytest.mark.asvs("6.3.1", "16.3.3")
def test_lookups_are_rate_limited_per_user(client, patient):
    from accounts.services.lookup import LOOKUP_PER_ACCOUNT

    desk = UserFactory.create(role="receptionist")
    login_verified(client, desk)
    mrn = patient.patient_profile.medical_record_number

    statuses = [
        client.post("/appointments/book/", {"medical_record_number": mrn}).status_code
        for _ in range(LOOKUP_PER_ACCOUNT.limit + 1)
    ]
    colleague = UserFactory.create(role="receptionist")
    client.logout()
    login_verified(client, colleague)
    other_desk = client.post("/appointments/book/", {"medical_record_number": mrn})

    assert statuses[:-1] == [302] * LOOKUP_PER_ACCOUNT.limit
    assert statuses[-1] == 429
    assert other_desk.status_code == 302
    refused = _lookups()[LOOKUP_PER_ACCOUNT.limit]
    assert (refused.outcome, refused.actor, refused.details) == (
        "denied",
        desk,
        {"code": "RATE_LIMITED"},
    )
