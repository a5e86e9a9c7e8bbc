"""What one booking over the API costs in statements, exactly (with and without an
Idempotency-Key, first time and replayed), and the shortcuts that keep it there: the input's
ids read in one query (``BookRequest``: the same rows and the same errors as ``BookInput``)
and the slot, the offer and the patient's other appointments read in one
(``slots.slot_check``: the same answer as a day's search)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
import time_machine
from django.db import connection

from appointments.models import Appointment, AvailabilityException, Practitioner
from appointments.selectors.slots import _slot_is_free_searched, slot_check
from appointments.serializers.book_request import BookRequest
from appointments.serializers.bookings import BookInput
from audit.models import AuditEvent
from core.models import IdempotencyRecord
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

# The statements of PostgreSQL's paths (one query for what other databases read apart); the
# behaviour is tested on every database. Needs PostgreSQL: left out of the embedded pass, and
# a failure, never a skip, in CI without it.
POSTGRESQL_STATEMENTS = pytest.mark.services("DATABASE_URL")

# Token authentication's own queries (counted by the accounts tests).
_AUTHENTICATION = re.compile(
    r'"accounts_(apitoken|authsession)"|FROM "accounts_user" WHERE "accounts_user"."id" = '
)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


class _Statements:
    """The SQL sent while in the block (CaptureQueriesContext's log is emptied when a request
    starts; these are counted as they go)."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __enter__(self) -> _Statements:
        self._wrapper = connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return len(self.sql)


def _statements(queries: _Statements) -> list[str]:
    """Each statement beyond authentication, by its kind and table (savepoint names vary)."""
    kinds = []
    for sql in queries.sql:
        if _AUTHENTICATION.search(sql):
            continue
        if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
            kinds.append(sql.rsplit(" ", 1)[0])
        elif sql.startswith("INSERT INTO"):
            kinds.append("INSERT " + sql.split()[2].strip('"'))
        elif sql.startswith("UPDATE"):
            kinds.append("UPDATE " + sql.split()[1].strip('"'))
        elif "appointments_practitioner_appointment_types" in sql:
            kinds.append("SELECT slot check")
        elif "row_to_json(p)" in sql:
            kinds.append("SELECT input")
        else:
            kinds.append("SELECT " + sql[:60])
    return kinds


def _body(practitioner, appointment_type, start) -> dict[str, str]:
    return {
        "appointment_type": str(appointment_type.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }


# In a test's transaction the outermost atomic blocks are savepoints; in production they are
# the transaction itself (BEGIN and COMMIT are not statements here).
BOOKING = [
    "SELECT input",  # the type, the practitioner (user, profile, department), the patient
    "SELECT slot check",  # offer, patient elsewhere, hours, leave, booked time
    "SAVEPOINT",  # appointment_book's transaction: the writes only
    "INSERT appointments_appointment",
    "INSERT audit_auditevent",
    # AppointmentBooked's outbox rows, one per subscriber (the patient's messages, the live
    # schedules), in one statement.
    "INSERT core_outboxmessage",
    "RELEASE SAVEPOINT",
]


@POSTGRESQL_STATEMENTS
def test_a_booking_takes_seven_statements(patient, practitioner, consultation):
    api = api_as(patient)

    with _Statements() as queries:
        response = api.post(
            "/api/v1/appointments", _body(practitioner, consultation, at(MONDAY, 9)), format="json"
        )

    assert response.status_code == 201
    assert _statements(queries) == BOOKING


@POSTGRESQL_STATEMENTS
def test_a_lost_race_is_told_from_the_check_alone(patient, practitioner, consultation):
    """Half the answers of a busy booking day are 409s: why the time is not free comes back
    with the check itself, with no query of its own (three were read apart before), and the
    check runs before the booking's transaction opens."""
    book(patient, practitioner, consultation, at(MONDAY, 9))
    api = api_as(PatientProfileFactory.create().user)

    with _Statements() as queries:
        response = api.post(
            "/api/v1/appointments", _body(practitioner, consultation, at(MONDAY, 9)), format="json"
        )

    assert response.status_code == 409
    assert response.json()["code"] == "SLOT_TAKEN"
    # Refused before the transaction: no BEGIN and ROLLBACK either (a savepoint in tests).
    assert _statements(queries) == ["SELECT input", "SELECT slot check"]


@POSTGRESQL_STATEMENTS
def test_a_booking_with_an_idempotency_key_takes_four_more(patient, practitioner, consultation):
    api = api_as(patient)

    with _Statements() as queries:
        response = api.post(
            "/api/v1/appointments",
            _body(practitioner, consultation, at(MONDAY, 9)),
            format="json",
            HTTP_IDEMPOTENCY_KEY="booking-cost-1",
        )

    assert response.status_code == 201
    # The key's transaction, the key claimed (INSERT ... ON CONFLICT DO NOTHING: no savepoint
    # of its own), the booking in the service's own savepoint (none around it), the outcome.
    assert _statements(queries) == [
        "SAVEPOINT",
        "INSERT core_idempotencyrecord",
        *BOOKING,
        "UPDATE core_idempotencyrecord",
        "RELEASE SAVEPOINT",
    ]


@POSTGRESQL_STATEMENTS
def test_a_replayed_booking_reads_the_stored_outcome_only(patient, practitioner, consultation):
    api = api_as(patient)
    body = _body(practitioner, consultation, at(MONDAY, 9))
    first = api.post(
        "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="replayed-key-1"
    )

    with _Statements() as queries:
        retry = api.post(
            "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="replayed-key-1"
        )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    statements = _statements(queries)
    assert statements[:2] == ["SAVEPOINT", "INSERT core_idempotencyrecord"]
    assert statements[3:] == ["RELEASE SAVEPOINT"]
    assert "core_idempotencyrecord" in statements[2]
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.filter(action="appointments.booked").count() == 1


def test_a_refused_booking_is_stored_and_its_writes_undone(patient, practitioner, consultation):
    # Someone else holds 09:00: refused by the check, before the service's transaction; the
    # key keeps the refusal.
    book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 9))
    api = api_as(patient)
    body = _body(practitioner, consultation, at(MONDAY, 9))

    with _Statements() as queries:
        first = api.post(
            "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="refused-key-409"
        )
    retry = api.post(
        "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="refused-key-409"
    )

    assert first.status_code == retry.status_code == 409
    assert first.json()["code"] == "SLOT_TAKEN"
    assert retry.json() == first.json()
    if connection.vendor == "postgresql":  # other databases read the check in several queries
        assert _statements(queries) == [
            "SAVEPOINT",
            "INSERT core_idempotencyrecord",
            "SELECT input",
            "SELECT slot check",
            "UPDATE core_idempotencyrecord",
            "RELEASE SAVEPOINT",
        ]
    else:
        assert not any(sql.startswith('INSERT INTO "appointments') for sql in queries.sql)
    assert IdempotencyRecord.objects.get(key="refused-key-409").response_status == 409
    assert Appointment.objects.filter(patient=patient).count() == 0


@POSTGRESQL_STATEMENTS
def test_a_race_lost_at_the_insert_is_stored_and_its_writes_undone(
    patient, practitioner, consultation
):
    # The check sees 09:00 free; someone else books it before the insert (here: right after
    # the check, in the same transaction). The database refuses the insert, the service's
    # savepoint undoes its writes, and the key keeps the 409 in its own transaction.
    someone_else = PatientProfileFactory.create().user
    taken: list[Appointment] = []
    checks: list[str] = []

    def taken_right_after_the_check(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "appointments_practitioner_appointment_types" in sql and not checks:
            checks.append(sql)  # the first check is the request's; book() makes its own
            taken.append(book(someone_else, practitioner, consultation, at(MONDAY, 9)))
        return result

    api = api_as(patient)
    body = _body(practitioner, consultation, at(MONDAY, 9))
    with _Statements() as queries, connection.execute_wrapper(taken_right_after_the_check):
        first = api.post(
            "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="raced-key-409"
        )
    retry = api.post(
        "/api/v1/appointments", body, format="json", HTTP_IDEMPOTENCY_KEY="raced-key-409"
    )

    assert first.status_code == retry.status_code == 409
    assert first.json()["code"] == "SLOT_TAKEN"
    assert retry.json() == first.json()
    assert "ROLLBACK TO SAVEPOINT" in _statements(queries)
    assert IdempotencyRecord.objects.get(key="raced-key-409").response_status == 409
    assert Appointment.objects.filter(patient=patient).count() == 0
    assert list(Appointment.objects.filter(start=at(MONDAY, 9))) == taken
    booked = AuditEvent.objects.filter(action="appointments.booked")
    assert [event.patient_id for event in booked] == [someone_else.pk]


# --- BookRequest: BookInput's answers, in one query -------------------------------------------


def _both(data):
    fast, slow = BookRequest(data=data), BookInput(data=data)
    return (fast.is_valid(), fast), (slow.is_valid(), slow)


def _fields(instance) -> dict[str, object]:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}


@POSTGRESQL_STATEMENTS
def test_the_input_reads_the_same_rows_in_one_query(patient, practitioner, consultation):
    body = {**_body(practitioner, consultation, at(MONDAY, 9)), "reason": "  Cough  "}
    body["patient"] = str(patient.public_id)

    with _Statements() as queries:
        fast = BookRequest(data=body)
        assert fast.is_valid(), fast.errors
    slow = BookInput(data=body)
    assert slow.is_valid()

    assert len(queries) == 1
    assert fast.validated_data.keys() == slow.validated_data.keys()
    assert fast.validated_data["start"] == slow.validated_data["start"]
    assert fast.validated_data["reason"] == slow.validated_data["reason"] == "Cough"
    for name in ("appointment_type", "practitioner", "patient"):
        assert _fields(fast.validated_data[name]) == _fields(slow.validated_data[name])
    ours, theirs = fast.validated_data["practitioner"], slow.validated_data["practitioner"]
    with _Statements() as related:
        assert _fields(ours.user) == _fields(theirs.user)
        assert _fields(ours.user.staff_profile) == _fields(theirs.user.staff_profile)
        assert _fields(ours.department) == _fields(theirs.department)
        assert ours.display_name == theirs.display_name
    assert len(related) == 0


def test_a_practitioner_without_a_staff_profile(patient, department, consultation):
    nurse = UserFactory.create(role="nurse", full_name="", email="nurse@hospital.test")
    practitioner = Practitioner.objects.create(user=nurse, department=department)
    practitioner.appointment_types.add(consultation)

    (fast_ok, fast), (slow_ok, _slow) = _both(_body(practitioner, consultation, at(MONDAY, 9)))

    assert fast_ok and slow_ok
    with _Statements() as related:
        assert fast.validated_data["practitioner"].display_name == "nurse@hospital.test"
        assert not hasattr(fast.validated_data["practitioner"].user, "staff_profile")
    assert len(related) == 0
    assert "patient" not in fast.validated_data


def test_the_models_convert_no_column():
    # BookRequest builds instances from each row's JSON with the fields' to_python: right for
    # these models, none of which converts what the database gives (from_db_value).
    from accounts.models import Department, StaffProfile, User
    from appointments.models import AppointmentType

    for model in (AppointmentType, Practitioner, User, StaffProfile, Department):
        for field in model._meta.concrete_fields:
            assert not field.get_db_converters(connection), (model, field.name)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "change",
    [
        {"appointment_type": "7c8a1f8e-0000-4000-8000-000000000000"},  # no such type
        {"practitioner": "7c8a1f8e-0000-4000-8000-000000000000"},  # no such practitioner
        {"practitioner": "not-a-uuid"},
        {"practitioner": 12},
        {"appointment_type": None},
        {"start": "2026-03-02T09:00:00"},  # no zone
        {"start": "Monday"},
        {"start": None},
        {"start": ...},  # missing
        {"practitioner": ...},
        {"reason": "x" * 501},
        {"reason": None},
        {"reason": 5},
        {"patient": None},
        {"patient": "7c8a1f8e-0000-4000-8000-000000000000"},
        {"patient": "own"},  # the patient named by themselves: replaced below
        {"extra": "ignored"},
    ],
)
def test_every_other_body_gets_book_inputs_answer(patient, practitioner, consultation, change):
    body: dict[str, object] = {**_body(practitioner, consultation, at(MONDAY, 9))}
    for name, value in change.items():
        if value is ...:
            body.pop(name)
        else:
            body[name] = str(patient.public_id) if value == "own" else value

    (fast_ok, fast), (slow_ok, slow) = _both(body)

    assert fast_ok == slow_ok
    assert fast.errors == slow.errors
    if fast_ok:
        assert {k: _value(v) for k, v in fast.validated_data.items()} == {
            k: _value(v) for k, v in slow.validated_data.items()
        }


def _value(value):
    return _fields(value) if hasattr(value, "_meta") else value


def test_inactive_rows_are_not_found(patient, practitioner, consultation):
    practitioner.is_active = False
    practitioner.save(update_fields=["is_active"])

    (fast_ok, fast), (slow_ok, slow) = _both(_body(practitioner, consultation, at(MONDAY, 9)))

    assert not fast_ok and not slow_ok
    assert fast.errors == slow.errors == {"practitioner": ["No such practitioner."]}


def test_a_staff_member_is_not_a_patient_to_book_for(patient, practitioner, consultation):
    body = {**_body(practitioner, consultation, at(MONDAY, 9))}
    body["patient"] = str(practitioner.user.public_id)

    (fast_ok, fast), (slow_ok, slow) = _both(body)

    assert not fast_ok and not slow_ok
    assert fast.errors == slow.errors == {"patient": ["No such patient."]}


# --- slot_check: a search's answer for one start ---------------------------------------------


def test_slot_check_answers_as_a_days_search(patient, practitioner, consultation):
    # Buffers, a second window, leave, booked time, lead time and the other patient's
    # appointment elsewhere: every quarter hour of the day, each answer as the search's.
    consultation.buffer_after_minutes = 10
    consultation.save(update_fields=["buffer_after_minutes"])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(13, 15),
        end_time=datetime.time(15, 0),
    )
    AvailabilityException.objects.create(
        practitioner=practitioner, start=at(MONDAY, 10, 5), end=at(MONDAY, 10, 30)
    )
    taken = book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 11))
    other = AppointmentTypeFactory.create(department=consultation.department, lead_time_minutes=0)
    practitioner.appointment_types.add(other)
    elsewhere = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=consultation.department
    )
    elsewhere.appointment_types.add(consultation)
    WorkingHoursFactory.create(practitioner=elsewhere, weekday=0)
    book(patient, elsewhere, consultation, at(MONDAY, 9, 40))

    starts = [at(MONDAY, 8) + datetime.timedelta(minutes=5 * n) for n in range(12 * 9)]
    answers = []
    for start in starts:
        for now, ignore in ((NOW, None), (at(MONDAY, 9, 30), None), (NOW, taken.pk)):
            check = slot_check(
                appointment_type=consultation,
                practitioner=practitioner,
                start=start,
                now=now,
                patient_id=patient.pk,
                ignore_appointment_id=ignore,
            )
            searched = _slot_is_free_searched(
                appointment_type=consultation,
                practitioner=practitioner,
                start=start,
                now=now,
                ignore_appointment_id=ignore,
            )
            assert check.free == searched, (start, now, ignore)
            assert check.offered
            answers.append(check.free)
            patient_busy = start < at(MONDAY, 10, 10) and start + datetime.timedelta(
                minutes=30
            ) > at(MONDAY, 9, 40)
            assert check.patient_busy == patient_busy, start
    assert True in answers and False in answers
    assert not slot_check(
        appointment_type=other, practitioner=elsewhere, start=at(MONDAY, 9), now=NOW
    ).offered


@pytest.mark.parametrize(
    "first",
    [
        # Europe/London springs forward on 29 March 2026 at 01:00 (00:00-03:00 is two hours)...
        datetime.datetime(2026, 3, 28, 23, 0, tzinfo=datetime.UTC),
        # ... and falls back on 25 October 2026 at 02:00 (01:00-02:00 happens twice).
        datetime.datetime(2026, 10, 24, 23, 0, tzinfo=datetime.UTC),
    ],
)
def test_slot_check_across_a_clock_change(patient, department, first):
    visit = AppointmentTypeFactory.create(
        department=department,
        duration_minutes=30,
        buffer_after_minutes=15,
        lead_time_minutes=0,
        booking_horizon_days=365,
    )
    night = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department, time_zone="Europe/London"
    )
    night.appointment_types.add(visit)
    WorkingHoursFactory.create(
        practitioner=night,
        weekday=6,
        start_time=datetime.time(0),
        end_time=datetime.time(3),
    )

    answers = []
    for n in range(6 * 12):
        start = first + datetime.timedelta(minutes=5 * n)
        check = slot_check(appointment_type=visit, practitioner=night, start=start, now=NOW)
        searched = _slot_is_free_searched(
            appointment_type=visit, practitioner=night, start=start, now=NOW
        )
        assert check.free == searched, start
        answers.append(check.free)
    assert True in answers and False in answers
