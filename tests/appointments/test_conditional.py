"""Conditional requests (issue 9, point 12): ETags on single resources, If-Match on their
updates so a client cannot overwrite a change it has not seen, If-None-Match on reads."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from accounts.models import PatientProfile
from appointments.models import Appointment
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _reschedule(api, appointment, hour, **headers):
    return api.post(
        f"/api/v1/appointments/{appointment.public_id}/reschedule",
        {"start": at(MONDAY, hour).isoformat()},
        format="json",
        **headers,
    )


def test_an_appointment_has_an_etag_and_answers_304_when_unchanged(
    patient, practitioner, consultation
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    path = f"/api/v1/appointments/{appointment.public_id}"

    first = api.get(path)
    unchanged = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
    _reschedule(api, appointment, 10)
    changed = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert first["ETag"].startswith('"') and first["ETag"].endswith('"')
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged["ETag"] == first["ETag"]
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_reschedule_against_a_stale_etag_is_refused_with_412_and_changes_nothing(
    patient, practitioner, consultation
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    phone = api_as(patient)
    tablet = api_as(patient)
    seen = phone.get(f"/api/v1/appointments/{appointment.public_id}")["ETag"]
    moved_elsewhere = _reschedule(tablet, appointment, 10, HTTP_IF_MATCH=seen)

    stale = _reschedule(phone, appointment, 11, HTTP_IF_MATCH=seen)

    assert moved_elsewhere.status_code == 200
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    assert stale.json()["code"] == "PRECONDITION_FAILED"
    assert Appointment.objects.get().start == at(MONDAY, 10)
    assert AuditEvent.objects.filter(action="appointments.rescheduled").count() == 1


def test_a_reschedule_with_the_current_etag_goes_ahead_and_returns_the_new_one(
    patient, practitioner, consultation
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    path = f"/api/v1/appointments/{appointment.public_id}"
    seen = api.get(path)["ETag"]

    moved = _reschedule(api, appointment, 10, HTTP_IF_MATCH=seen)
    anything = _reschedule(api, appointment, 11, HTTP_IF_MATCH="*")
    unconditional = _reschedule(api, appointment, 9)  # no If-Match: allowed, as before

    assert moved.status_code == 200
    assert moved["ETag"] != seen
    assert anything.status_code == 200
    assert unconditional.status_code == 200
    assert unconditional["ETag"] == api.get(path)["ETag"]


def test_a_weak_etag_never_matches_an_update(patient, practitioner, consultation):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    seen = api.get(f"/api/v1/appointments/{appointment.public_id}")["ETag"]

    weak = _reschedule(api, appointment, 10, HTTP_IF_MATCH=f"W/{seen}")

    assert weak.status_code == 412


def test_an_idempotent_conditional_reschedule_carries_the_etag_on_replay(
    patient, practitioner, consultation
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    seen = api.get(f"/api/v1/appointments/{appointment.public_id}")["ETag"]
    headers = {"HTTP_IF_MATCH": seen, "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    first = _reschedule(api, appointment, 10, **headers)
    retry = _reschedule(api, appointment, 10, **headers)

    assert first.status_code == retry.status_code == 200
    assert retry["Idempotent-Replayed"] == "true"
    assert (
        first["ETag"]
        == retry["ETag"]
        == api.get(f"/api/v1/appointments/{appointment.public_id}")["ETag"]
    )


def test_the_profile_update_honours_if_match(patient):
    phone = api_as(patient)
    tablet = api_as(patient)
    seen = phone.get("/api/v1/account/profile")
    changed_elsewhere = tablet.patch(
        "/api/v1/account/profile",
        {"city": "Newtown"},
        format="json",
        HTTP_IF_MATCH=seen["ETag"],
    )

    stale = phone.patch(
        "/api/v1/account/profile",
        {"city": "Oldtown"},
        format="json",
        HTTP_IF_MATCH=seen["ETag"],
    )
    current = phone.get("/api/v1/account/profile")

    assert seen.status_code == 200
    assert changed_elsewhere.status_code == 200
    assert changed_elsewhere["ETag"] == current["ETag"] != seen["ETag"]
    assert stale.status_code == 412
    assert stale.json()["code"] == "PRECONDITION_FAILED"
    assert PatientProfile.objects.get(user=patient).city == "Newtown"
    assert (
        phone.get("/api/v1/account/profile", HTTP_IF_NONE_MATCH=current["ETag"]).status_code == 304
    )


def test_account_me_has_an_etag(patient):
    api = api_as(patient)

    first = api.get("/api/v1/account/me")
    again = api.get("/api/v1/account/me", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200
    assert again.status_code == 304


def test_the_schema_documents_etags_if_match_and_412(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]

    for path in (
        "/api/v1/appointments/{appointment_id}",
        "/api/v1/account/me",
        "/api/v1/account/profile",
    ):
        get = paths[path]["get"]
        assert "ETag" in get["responses"]["200"].get("headers", {}), path
        assert "If-None-Match" in [p["name"] for p in get.get("parameters", [])], path
        assert "304" in get["responses"], path
    for path, method in (
        ("/api/v1/appointments/{appointment_id}/reschedule", "post"),
        ("/api/v1/account/profile", "patch"),
    ):
        operation = paths[path][method]
        assert "If-Match" in [p["name"] for p in operation.get("parameters", [])], path
        assert "412" in operation["responses"], path
