"""Idempotency-Key on every creating POST, and the Idempotent-Replayed marker on replays
(issue 9, point 11)."""

from __future__ import annotations

import uuid

import pytest
import time_machine

from appointments.models import (
    Appointment,
    AvailabilityException,
    CalendarFeed,
    WaitlistEntry,
    WorkingHours,
)
from audit.models import AuditEvent
from core.models import IdempotencyRecord
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _twice(api, path, body=None, key=None):
    key = key or str(uuid.uuid4())
    first = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    retry = api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    return first, retry


def _assert_replayed(first, retry, status: int) -> None:
    assert first.status_code == retry.status_code == status
    assert "Idempotent-Replayed" not in first
    assert retry["Idempotent-Replayed"] == "true"
    if status != 204:
        assert first.json() == retry.json()


def test_a_replayed_booking_is_marked(patient, practitioner, consultation):
    body = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": at(MONDAY, 9).isoformat(),
    }

    first, retry = _twice(api_as(patient), "/api/v1/appointments", body)

    _assert_replayed(first, retry, 201)
    assert Appointment.objects.count() == 1


def test_a_replayed_refusal_is_marked_too(patient, practitioner, consultation):
    book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 9))
    body = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": at(MONDAY, 9).isoformat(),
    }

    first, retry = _twice(api_as(patient), "/api/v1/appointments", body)

    _assert_replayed(first, retry, 409)
    assert retry["Content-Type"] == "application/problem+json"


def test_joining_the_waitlist_twice_with_one_key_joins_once(patient, consultation, practitioner):
    body = {
        "appointment_type": str(consultation.public_id),
        "date_from": "2026-03-01",
        "date_to": "2026-03-03",
    }

    first, retry = _twice(api_as(patient), "/api/v1/waitlist", body)

    _assert_replayed(first, retry, 201)
    assert WaitlistEntry.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_declining_an_offer_twice_with_one_key_declines_once(
    patient, practitioner, consultation, django_capture_on_commit_callbacks
):
    from appointments.services import booking, waitlist

    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    waiting = PatientProfileFactory.create().user
    waitlist.waitlist_join(
        actor=waiting,
        patient=waiting,
        appointment_type=consultation,
        practitioner=None,
        date_from=MONDAY,
        date_to=MONDAY,
        request=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking.appointment_cancel(actor=patient, appointment=appointment, request=None)
    offer = WaitlistEntry.objects.get().offered_appointment
    assert offer is not None

    first, retry = _twice(api_as(waiting), f"/api/v1/waitlist/offers/{offer.public_id}/decline")

    _assert_replayed(first, retry, 204)
    assert AuditEvent.objects.filter(action="appointments.waitlist_declined").count() == 1


def test_a_calendar_feed_made_twice_with_one_key_is_made_once(patient):
    first, retry = _twice(api_as(patient), "/api/v1/calendar-feed", {})

    _assert_replayed(first, retry, 201)
    assert CalendarFeed.objects.filter(user=patient).count() == 1
    assert AuditEvent.objects.filter(action="appointments.calendar_feed_created").count() == 1
    # The URL is a secret: the stored answer keeps it encrypted.
    stored = IdempotencyRecord.objects.get().response_body
    assert first.json()["url"] not in str(stored)
    assert first.json()["url"].rsplit("/", 2)[-2] not in str(stored)


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        (
            "working-hours",
            {"weekday": 1, "start_time": "13:00", "end_time": "17:00", "valid_from": "2026-01-01"},
            WorkingHours,
        ),
        (
            "exceptions",
            {"kind": "leave", "start": "2026-03-03T00:00:00Z", "end": "2026-03-04T00:00:00Z"},
            AvailabilityException,
        ),
    ],
)
def test_schedule_entries_added_twice_with_one_key_are_added_once(practitioner, path, body, model):
    admin = UserFactory.create(role="admin")
    before = model.objects.count()

    first, retry = _twice(
        api_as(admin), f"/api/v1/practitioners/{practitioner.public_id}/{path}", body
    )

    _assert_replayed(first, retry, 201)
    assert model.objects.count() == before + 1


def test_the_schema_documents_the_key_and_the_replay_marker(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    creating = [
        ("/api/v1/appointments", "post"),
        ("/api/v1/waitlist", "post"),
        ("/api/v1/waitlist/offers/{appointment_id}/decline", "post"),
        ("/api/v1/calendar-feed", "post"),
        ("/api/v1/practitioners/{practitioner_id}/working-hours", "post"),
        ("/api/v1/practitioners/{practitioner_id}/exceptions", "post"),
    ]

    for path, method in creating:
        operation = schema["paths"][path][method]
        assert "Idempotency-Key" in [p["name"] for p in operation.get("parameters", [])], path
        first_success = next(
            response for status, response in operation["responses"].items() if status < "300"
        )
        assert "Idempotent-Replayed" in first_success.get("headers", {}), path
