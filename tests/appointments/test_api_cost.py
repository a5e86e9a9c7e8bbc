"""What the appointments API costs and says: exact query counts for the list (a patient's,
a clinician's day) with 1 and with 50 rows and for one booking, and the bodies of the list,
of one appointment and of a booking, written out by hand for a fixed set of appointments (the
JSON is built without DRF's field machinery; it must stay what the declared fields give)."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import sessions
from appointments import permissions
from appointments.models import Appointment, Practitioner
from appointments.serializers.bookings import AppointmentOutput
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    StaffProfileFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

# The statements of PostgreSQL's paths (one query for what other databases read apart); the
# behaviour is tested on every database. Needs PostgreSQL: left out of the embedded pass, and
# a failure, never a skip, in CI without it.
POSTGRESQL_STATEMENTS = pytest.mark.services("DATABASE_URL")

BERLIN = "Europe/Berlin"
# Queries of token authentication: the token, or the user behind a cached one (counted by the
# accounts tests).
_AUTHENTICATION = re.compile(
    r'"accounts_(apitoken|authsession)"|FROM "accounts_user" WHERE "accounts_user"."id" = '
)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user: User) -> APIClient:
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def _beyond_authentication(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries if not _AUTHENTICATION.search(query["sql"])]


def _appointment(patient, practitioner, appointment_type, start, **fields) -> Appointment:
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    return Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        end=end,
        blocked_until=end,
        channel=fields.pop("channel", "web"),
        **fields,
    )


# --- Query counts ---------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_a_patients_list_is_two_queries(patient, department, consultation, rows):
    practitioners = PractitionerFactory.create_batch(
        rows, department=department, offers=[consultation]
    )
    for index, practitioner in enumerate(practitioners):
        _appointment(
            patient, practitioner, consultation, at(MONDAY, 0) + datetime.timedelta(hours=index)
        )
    api = _api(patient)

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/appointments")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    # The page, with its patients and types joined in; its practitioners (apart: joined
    # too, PostgreSQL planned a join of seven tables for every page); the page's reads in the
    # audit (one INSERT however many rows, audit/access.py).
    own = _beyond_authentication(queries)
    assert len(own) == 3
    assert own[2].startswith('INSERT INTO "audit_auditevent"')
    assert "appointments_practitioner" in own[1] and "appointments_appointment" not in own[1]


@pytest.mark.parametrize("rows", [1, 50])
def test_a_clinicians_days_are_three_queries(practitioner, consultation, rows):
    for index in range(rows):
        _appointment(
            PatientProfileFactory.create().user,
            practitioner,
            consultation,
            at(MONDAY, 0) + datetime.timedelta(minutes=30 * index),
        )
    doctor = _api(practitioner.user)

    with CaptureQueriesContext(connection) as queries:
        response = doctor.get(
            "/api/v1/appointments", {"practitioner": "me", "date_from": str(MONDAY)}
        )

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    # The practitioner's time zone (the days are theirs), the page, its practitioners, the
    # page's reads in the audit.
    own = _beyond_authentication(queries)
    assert len(own) == 4
    assert "time_zone" in own[0]


@POSTGRESQL_STATEMENTS
@pytest.mark.parametrize("rows", [1, 50])
def test_a_clinicians_whole_list_reads_who_is_in_their_care_first(practitioner, consultation, rows):
    # Patients of theirs seen by others too: the list is "own schedule or a patient in care".
    for index in range(rows):
        patient = PatientProfileFactory.create().user
        _appointment(
            patient,
            practitioner,
            consultation,
            at(MONDAY, 0) + datetime.timedelta(minutes=30 * index),
        )
    doctor = _api(practitioner.user)

    with CaptureQueriesContext(connection) as queries:
        response = doctor.get("/api/v1/appointments")

    assert response.status_code == 200
    assert len(response.json()["results"]) == rows
    # Their own practitioner row with the patients in their care (read first, so the page's
    # query names them as constants PostgreSQL can estimate), the page, its practitioners.
    own = _beyond_authentication(queries)
    assert len(own) == 4  # and the page's reads in the audit (one INSERT)
    assert own[3].startswith('INSERT INTO "audit_auditevent"')
    assert "patient_id" in own[0]
    assert "= ANY(" in own[1] and "practitioner_id" in own[1]


# The type, the practitioner and the patient (the input, one query); whether the practitioner
# offers the type, the patient is free then, and the start is one of the free ones (hours,
# leave and booked time of that start: one query); the insert; the audit row; the event's
# outbox rows (one statement). In a test's transaction the service's own is a savepoint
# (SAVEPOINT, RELEASE); in production it is the transaction (BEGIN and COMMIT are not
# statements here).
BOOKING_QUERIES = 7


@POSTGRESQL_STATEMENTS
def test_booking_takes_a_fixed_number_of_queries(patient, practitioner, consultation):
    api = _api(patient)
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": at(MONDAY, 9).isoformat(),
    }

    with CaptureQueriesContext(connection) as queries:
        response = api.post("/api/v1/appointments", payload, format="json")

    assert response.status_code == 201
    assert len(_beyond_authentication(queries)) == BOOKING_QUERIES


@POSTGRESQL_STATEMENTS
def test_booking_with_an_idempotency_key_takes_four_statements_more(
    patient, practitioner, consultation
):
    api = _api(patient)
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": at(MONDAY, 9).isoformat(),
    }

    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            "/api/v1/appointments", payload, format="json", HTTP_IDEMPOTENCY_KEY="cost-key-1"
        )

    assert response.status_code == 201
    # The key's transaction (a savepoint here: SAVEPOINT, RELEASE), the record claimed by
    # INSERT ... ON CONFLICT DO NOTHING (no savepoint of its own), the outcome stored (UPDATE);
    # no savepoint around the operation (the service's own atomic block undoes its writes).
    assert len(_beyond_authentication(queries)) == BOOKING_QUERIES + 4


# --- The bodies -----------------------------------------------------------------------------


@pytest.fixture
def clinic(db):
    """A fixed clinic: Dr Ada Lovelace (Berlin) and a practitioner without a staff profile or
    a name; Grace Hopper, and a patient known only by her address; three appointments around
    Monday's midnight in Berlin."""
    general = DepartmentFactory.create(code="general", name="General Practice")
    consultation = AppointmentTypeFactory.create(
        department=general, name="Consultation", duration_minutes=30, lead_time_minutes=0
    )
    ada = Practitioner.objects.create(
        user=StaffProfileFactory.create(
            department=general, title="Dr", user__full_name="Ada Lovelace"
        ).user,
        department=general,
        time_zone=BERLIN,
    )
    ada.appointment_types.add(consultation)
    WorkingHoursFactory.create(practitioner=ada, weekday=0)
    nameless = Practitioner.objects.create(
        user=UserFactory.create(role="nurse", full_name="", email="nurse.no.name@hospital.test"),
        department=general,
    )
    grace = PatientProfileFactory.create(user__full_name="Grace Hopper").user
    anonymous = PatientProfileFactory.create(
        user__full_name="", user__email="someone@example.test"
    ).user
    sunday_late = _appointment(
        grace, ada, consultation, datetime.datetime(2026, 3, 1, 22, 30, tzinfo=datetime.UTC)
    )
    monday_early = _appointment(
        grace,
        ada,
        consultation,
        datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC),
        reason="Cough",
    )
    held = _appointment(
        anonymous,
        ada,
        consultation,
        at(MONDAY, 10),
        status="held",
        hold_expires_at=NOW + datetime.timedelta(hours=2),
        reason="Rash",
        channel="waitlist",
    )
    cancelled = _appointment(
        grace,
        nameless,
        consultation,
        at(MONDAY, 11),
        status="cancelled",
        reason="Back pain",
        cancellation_reason="Feeling better",
        channel="api",
    )
    return {
        "consultation": consultation,
        "general": general,
        "ada": ada,
        "nameless": nameless,
        "grace": grace,
        "anonymous": anonymous,
        "sunday_late": sunday_late,
        "monday_early": monday_early,
        "held": held,
        "cancelled": cancelled,
    }


def _expected(clinic) -> dict[str, dict]:
    """Each appointment's JSON, written out (reasons as their patient sees them)."""
    general = {"id": str(clinic["general"].public_id), "name": "General Practice"}
    consultation = {"id": str(clinic["consultation"].public_id), "name": "Consultation"}
    ada = {
        "id": str(clinic["ada"].public_id),
        "name": "Dr Ada Lovelace",
        "department": general,
        "time_zone": BERLIN,
    }
    nameless = {
        "id": str(clinic["nameless"].public_id),
        "name": "nurse.no.name@hospital.test",
        "department": general,
        "time_zone": "Europe/London",
    }
    grace = {"id": str(clinic["grace"].public_id), "name": "Grace Hopper"}
    anonymous = {"id": str(clinic["anonymous"].public_id), "name": "someone@example.test"}
    created = "2026-02-23T08:00:00Z"
    common = {
        "appointment_type": consultation,
        "cancellation_reason": "",
        "visit_note": "",
        "channel": "web",
        "hold_expires_at": None,
        "created_at": created,
        "updated_at": created,
        "status": "booked",
        "status_display": "Booked",
    }
    return {
        "sunday_late": {
            **common,
            "id": str(clinic["sunday_late"].public_id),
            "patient": grace,
            "practitioner": ada,
            "start": "2026-03-01T22:30:00Z",
            "end": "2026-03-01T23:00:00Z",
            "reason": "",
        },
        "monday_early": {
            **common,
            "id": str(clinic["monday_early"].public_id),
            "patient": grace,
            "practitioner": ada,
            "start": "2026-03-01T23:30:00Z",
            "end": "2026-03-02T00:00:00Z",
            "reason": "Cough",
        },
        "held": {
            **common,
            "id": str(clinic["held"].public_id),
            "patient": anonymous,
            "practitioner": ada,
            "start": "2026-03-02T10:00:00Z",
            "end": "2026-03-02T10:30:00Z",
            "status": "held",
            "status_display": "Offered from the waitlist",
            "reason": "Rash",
            "channel": "waitlist",
            "hold_expires_at": "2026-02-23T10:00:00Z",
        },
        "cancelled": {
            **common,
            "id": str(clinic["cancelled"].public_id),
            "patient": grace,
            "practitioner": nameless,
            "start": "2026-03-02T11:00:00Z",
            "end": "2026-03-02T11:30:00Z",
            "status": "cancelled",
            "status_display": "Cancelled",
            "reason": "Back pain",
            "cancellation_reason": "Feeling better",
            "channel": "api",
        },
    }


def test_a_patients_list_is_as_written(clinic):
    expected = _expected(clinic)

    body = _api(clinic["grace"]).get("/api/v1/appointments").json()

    assert body == {
        "next": None,
        "previous": None,
        "results": [expected["sunday_late"], expected["monday_early"], expected["cancelled"]],
    }


def test_a_clinicians_day_is_in_their_zone_and_as_written(clinic):
    expected = _expected(clinic)

    body = (
        _api(clinic["ada"].user)
        .get("/api/v1/appointments", {"practitioner": "me", "date_from": str(MONDAY)})
        .json()
    )

    # Monday in Berlin starts at 23:00 UTC on Sunday: 22:30 UTC is Sunday's.
    assert body["results"] == [expected["monday_early"], expected["held"]]


def test_the_front_desk_sees_no_reasons(clinic):
    expected = _expected(clinic)
    reception = UserFactory.create(role="receptionist")

    body = _api(reception).get("/api/v1/appointments").json()

    assert body["results"] == [
        {**expected[name], "reason": ""}
        for name in ("sunday_late", "monday_early", "held", "cancelled")
    ]


def test_one_appointment_is_as_written(clinic):
    expected = _expected(clinic)
    api = _api(clinic["grace"])

    for name in ("sunday_late", "monday_early", "cancelled"):
        response = api.get(f"/api/v1/appointments/{clinic[name].public_id}")

        assert response.json() == expected[name]


def test_a_booking_answers_as_written(clinic):
    grace = clinic["grace"]

    response = _api(grace).post(
        "/api/v1/appointments",
        {
            "appointment_type": str(clinic["consultation"].public_id),
            "practitioner": str(clinic["ada"].public_id),
            "start": "2026-03-02T09:00:00+01:00",
            "reason": "Check-up",
        },
        format="json",
    )

    booked = Appointment.objects.get(patient=grace, start=at(MONDAY, 8))
    expected = _expected(clinic)["monday_early"]
    assert response.status_code == 201
    assert response.json() == {
        **expected,
        "id": str(booked.public_id),
        "start": "2026-03-02T08:00:00Z",
        "end": "2026-03-02T08:30:00Z",
        "reason": "Check-up",
        "channel": "api",
    }


class _DeclaredList(serializers.ListSerializer[Appointment]):
    """DRF's own list: each item through the child's to_representation."""


class _Declared(AppointmentOutput):
    """AppointmentOutput as DRF renders its declared fields (the reason rule applied)."""

    class Meta(AppointmentOutput.Meta):
        list_serializer_class = _DeclaredList

    def to_representation(self, instance):
        data = serializers.ModelSerializer.to_representation(self, instance)
        viewer = self.context["viewer"]
        if not permissions.can_see_reason(user=viewer, appointment=instance):
            data["reason"] = ""
        return data


@pytest.mark.parametrize("viewer", ["grace", "anonymous", "ada", "reception"])
def test_every_listed_appointment_is_what_the_declared_fields_give(clinic, viewer):
    user = UserFactory.create(role="receptionist") if viewer == "reception" else clinic[viewer]
    if isinstance(user, Practitioner):
        user = user.user

    listed = _api(user).get("/api/v1/appointments").json()["results"]

    appointments = Appointment.objects.filter(
        public_id__in=[uuid.UUID(row["id"]) for row in listed]
    ).select_related("patient", "practitioner__user__staff_profile", "practitioner__department")
    with timezone.override(datetime.UTC):  # as on the API
        declared = _Declared(appointments, many=True, context={"viewer": user}).data
    assert listed
    assert listed == [dict(row) for row in declared]


def test_a_cancellation_reads_the_appointment_twice_and_locks_only_its_row(clinic):
    api = _api(clinic["grace"])
    appointment = clinic["monday_early"]

    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            f"/api/v1/appointments/{appointment.public_id}/cancel", {}, format="json"
        )

    assert response.status_code == 200
    own = _beyond_authentication(queries)
    # Visible to her (404 otherwise); the service's savepoint here; the row locked (read with
    # what the answer names: no query after the service); the update; the audit row; the
    # outbox row (the waitlist hears of the freed time); RELEASE; the read of the appointment
    # in the audit (after the response is built, audit/access.py).
    assert len(own) == 8
    assert own[-1].startswith('INSERT INTO "audit_auditevent"')
    if connection.features.has_select_for_update_of:  # SQLite locks the whole database
        locked = [sql for sql in own if "FOR UPDATE" in sql]
        assert len(locked) == 1
        assert locked[0].endswith('FOR UPDATE OF "appointments_appointment"')
    assert response.json()["practitioner"]["name"] == "Dr Ada Lovelace"
