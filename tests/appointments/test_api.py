"""The appointments API: slots, booking with idempotency, 404 for others' appointments,
bad input, status changes, waitlist, iCalendar, schedule management, query counts."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.services import sessions
from appointments.models import Appointment, WaitlistEntry
from audit.models import AuditEvent
from core.models import IdempotencyRecord
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user) -> APIClient:
    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def _book(api, practitioner, consultation, start, **extra):
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
        **extra,
    }
    headers = {}
    if "key" in payload:
        headers["HTTP_IDEMPOTENCY_KEY"] = payload.pop("key")
    return api.post("/api/v1/appointments", payload, format="json", **headers)


def test_slots_then_book_then_see_it(patient, practitioner, consultation):
    api = _api(patient)

    slots = api.get(
        "/api/v1/slots",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": str(MONDAY),
            "date_to": str(MONDAY),
        },
    )
    first = slots.json()["results"][0]
    booked = api.post(
        "/api/v1/appointments",
        {
            "appointment_type": str(consultation.public_id),
            "practitioner": first["practitioner"]["id"],
            "start": first["start"],
        },
        format="json",
    )
    listed = api.get("/api/v1/appointments", {"when": "upcoming"})
    again = api.get(
        "/api/v1/slots",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": str(MONDAY),
            "date_to": str(MONDAY),
        },
    )

    assert slots.status_code == 200
    assert first["start"] == "2026-03-02T09:00:00Z"
    assert first["local_start"] == "2026-03-02T09:00:00+00:00"
    assert booked.status_code == 201
    assert booked.json()["status"] == "booked"
    assert [a["id"] for a in listed.json()["results"]] == [booked.json()["id"]]
    assert len(again.json()["results"]) == len(slots.json()["results"]) - 1
    assert Appointment.objects.get().channel == "api"


def test_an_idempotent_retry_returns_the_first_result_and_books_once(
    patient, practitioner, consultation
):
    api = _api(patient)
    key = str(uuid.uuid4())

    first = _book(api, practitioner, consultation, at(MONDAY, 9), key=key)
    retry = _book(api, practitioner, consultation, at(MONDAY, 9), key=key)
    changed_body = _book(api, practitioner, consultation, at(MONDAY, 10), key=key)

    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert changed_body.status_code == 422
    assert changed_body.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert Appointment.objects.count() == 1
    assert AuditEvent.objects.filter(action="appointments.booked").count() == 1


def test_a_refused_request_is_replayed_as_refused(patient, practitioner, consultation):
    api = _api(patient)
    _book(_api(PatientProfileFactory.create().user), practitioner, consultation, at(MONDAY, 9))
    key = str(uuid.uuid4())

    lost = _book(api, practitioner, consultation, at(MONDAY, 9), key=key)
    retry = _book(api, practitioner, consultation, at(MONDAY, 9), key=key)

    assert lost.status_code == retry.status_code == 409
    assert lost.json()["code"] == retry.json()["code"] == "SLOT_TAKEN"
    assert IdempotencyRecord.objects.get(key=key).response_status == 409


def test_a_malformed_idempotency_key_is_a_field_error(patient, practitioner, consultation):
    response = _book(
        _api(patient), practitioner, consultation, at(MONDAY, 9), key="no spaces allowed"
    )

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("change", "field_or_code"),
    [
        ({"start": "2026-03-02T09:00:00"}, "start"),
        ({"start": "next monday"}, "start"),
        ({"start": "2026-02-20T09:00:00Z"}, "SLOT_UNAVAILABLE"),
        ({"start": "2026-03-02T13:00:00Z"}, "SLOT_UNAVAILABLE"),
        ({"start": "2026-03-02T09:00:00+05:00"}, "SLOT_UNAVAILABLE"),
        ({"appointment_type": "not-a-uuid"}, "appointment_type"),
        ({"appointment_type": str(uuid.uuid4())}, "appointment_type"),
        ({"practitioner": 42}, "practitioner"),
        ({"reason": "x" * 501}, "reason"),
    ],
)
def test_bad_booking_input_is_a_clear_400_and_writes_nothing(
    patient, practitioner, consultation, change, field_or_code
):
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": "2026-03-02T09:00:00Z",
        **change,
    }

    response = _api(patient).post("/api/v1/appointments", payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == field_or_code or field_or_code in body.get("errors", {})
    assert not Appointment.objects.exists()


def test_a_time_over_another_appointment_is_a_400_and_the_same_slot_a_409(
    patient, practitioner, department
):
    from tests.factories import AppointmentTypeFactory

    long_visit = AppointmentTypeFactory.create(
        department=department, name="Long consultation", duration_minutes=60
    )
    practitioner.appointment_types.add(long_visit)
    _book(_api(PatientProfileFactory.create().user), practitioner, long_visit, at(MONDAY, 9))
    consultation = practitioner.appointment_types.get(name="Consultation")

    overlapping = _book(_api(patient), practitioner, consultation, at(MONDAY, 9, 30))
    same_slot = _book(_api(patient), practitioner, long_visit, at(MONDAY, 9))

    assert overlapping.status_code == 400
    assert overlapping.json()["code"] == "SLOT_UNAVAILABLE"
    assert same_slot.status_code == 409
    assert same_slot.json()["code"] == "SLOT_TAKEN"


def test_a_type_the_practitioner_does_not_offer_is_a_400(patient, practitioner, department):
    from tests.factories import AppointmentTypeFactory

    other = AppointmentTypeFactory.create(department=department, name="Physiotherapy")

    response = _book(_api(patient), practitioner, other, at(MONDAY, 9))

    assert response.status_code == 400
    assert "does not offer" in response.json()["detail"]


def test_another_patients_appointment_is_a_404_for_every_operation(
    patient, practitioner, consultation
):
    booked = _book(_api(patient), practitioner, consultation, at(MONDAY, 9)).json()["id"]
    stranger = _api(PatientProfileFactory.create().user)

    responses = [
        stranger.get(f"/api/v1/appointments/{booked}"),
        stranger.post(f"/api/v1/appointments/{booked}/cancel", {}, format="json"),
        stranger.post(
            f"/api/v1/appointments/{booked}/reschedule",
            {"start": "2026-03-02T10:00:00Z"},
            format="json",
        ),
        stranger.get(f"/api/v1/appointments/{booked}/calendar.ics"),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["code"] == "APPOINTMENT_NOT_FOUND" for r in responses)
    assert Appointment.objects.get().status == "booked"


def test_reschedule_and_cancel_through_the_api(patient, practitioner, consultation):
    api = _api(patient)
    booked = _book(api, practitioner, consultation, at(MONDAY, 9)).json()["id"]

    moved = api.post(
        f"/api/v1/appointments/{booked}/reschedule",
        {"start": "2026-03-02T11:00:00Z"},
        format="json",
    )
    cancelled = api.post(f"/api/v1/appointments/{booked}/cancel", {}, format="json")

    assert moved.status_code == 200
    assert moved.json()["start"] == "2026-03-02T11:00:00Z"
    assert cancelled.json()["status"] == "cancelled"


def test_reception_checks_in_the_doctor_starts_and_completes(patient, practitioner, consultation):
    booked = _book(_api(patient), practitioner, consultation, at(MONDAY, 9)).json()["id"]
    receptionist = UserFactory.create(role="receptionist")

    with time_machine.travel(at(MONDAY, 8, 55), tick=False):
        reception, doctor = _api(receptionist), _api(practitioner.user)
        patient_tries = _api(patient).post(f"/api/v1/appointments/{booked}/check-in")
        checked_in = reception.post(f"/api/v1/appointments/{booked}/check-in")
        started = doctor.post(f"/api/v1/appointments/{booked}/start")
        completed = doctor.post(f"/api/v1/appointments/{booked}/complete")
        again = doctor.post(f"/api/v1/appointments/{booked}/complete")

    assert patient_tries.status_code == 403
    assert checked_in.json()["status"] == "checked_in"
    assert started.json()["status"] == "in_progress"
    assert completed.json()["status"] == "completed"
    assert again.status_code == 409
    assert again.json()["code"] == "INVALID_TRANSITION"


def test_staff_cancel_needs_a_reason(patient, practitioner, consultation):
    booked = _book(_api(patient), practitioner, consultation, at(MONDAY, 9)).json()["id"]
    reception = _api(UserFactory.create(role="receptionist"))

    no_reason = reception.post(f"/api/v1/appointments/{booked}/cancel", {}, format="json")
    with_reason = reception.post(
        f"/api/v1/appointments/{booked}/cancel", {"reason": "Clinic closed"}, format="json"
    )

    assert no_reason.status_code == 400
    assert "reason" in no_reason.json()["errors"]
    assert with_reason.status_code == 200


def test_the_ics_file_and_the_private_feed(patient, practitioner, consultation, client):
    api = _api(patient)
    booked = _book(
        api, practitioner, consultation, at(MONDAY, 9), reason="Private symptoms"
    ).json()["id"]

    ics = api.get(f"/api/v1/appointments/{booked}/calendar.ics")
    feed_url = api.post("/api/v1/calendar-feed").json()["url"]
    path = re.sub(r"^https?://[^/]+", "", feed_url)
    feed = client.get(path)
    replaced_url = api.post("/api/v1/calendar-feed").json()["url"]
    old_feed = client.get(path)
    api.delete("/api/v1/calendar-feed")
    revoked = client.get(re.sub(r"^https?://[^/]+", "", replaced_url))

    body = ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body
    assert "DTSTART:20260302T090000Z" in body
    assert f"UID:{booked}@" in body
    assert "Private symptoms" not in body
    assert "\r\n" in body
    assert feed.status_code == 200
    assert feed.content.decode().count("BEGIN:VEVENT") == 1
    assert old_feed.status_code == 410  # replaced: Gone, so calendar apps stop asking
    assert revoked.status_code == 410


def test_waitlist_offer_hold_accept(
    patient, practitioner, consultation, django_capture_on_commit_callbacks
):
    waiting = PatientProfileFactory.create().user
    first_booker = _api(patient)
    booked = _book(first_booker, practitioner, consultation, at(MONDAY, 9)).json()["id"]
    waiter = _api(waiting)
    joined = waiter.post(
        "/api/v1/waitlist",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": "2026-03-01",
            "date_to": "2026-03-03",
        },
        format="json",
    )

    with django_capture_on_commit_callbacks(execute=True):
        first_booker.post(f"/api/v1/appointments/{booked}/cancel", {}, format="json")
    entry = waiter.get("/api/v1/waitlist").json()["results"][0]
    offer = entry["offered_appointment"]["id"]
    taken_meanwhile = _book(
        _api(PatientProfileFactory.create().user), practitioner, consultation, at(MONDAY, 9)
    )
    accepted = waiter.post(f"/api/v1/waitlist/offers/{offer}/accept")

    assert joined.status_code == 201
    assert entry["status"] == "offered"
    assert taken_meanwhile.status_code == 409  # the hold keeps the time for the waiting patient
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "booked"
    assert WaitlistEntry.objects.get().status == "booked"


def test_an_expired_hold_goes_to_the_next_patient(
    patient, practitioner, consultation, django_capture_on_commit_callbacks, settings
):
    from appointments.services import waitlist

    first_in_line, second_in_line = (PatientProfileFactory.create().user for _ in range(2))
    for person in (first_in_line, second_in_line):
        waitlist.waitlist_join(
            actor=person,
            patient=person,
            appointment_type=consultation,
            date_from=MONDAY,
            date_to=MONDAY,
        )
    booked = _book(_api(patient), practitioner, consultation, at(MONDAY, 9)).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        _api(patient).post(f"/api/v1/appointments/{booked}/cancel", {}, format="json")
    first_hold = Appointment.objects.get(status="held")
    with django_capture_on_commit_callbacks(execute=True):
        expired = waitlist.waitlist_expire_holds(
            now=NOW + datetime.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES + 1)
        )
    second_hold = Appointment.objects.get(status="held")

    assert first_hold.patient == first_in_line
    assert expired == 1
    assert second_hold.patient == second_in_line
    assert WaitlistEntry.objects.get(patient=first_in_line).status == "waiting"
    late_accept = _api(first_in_line).post(f"/api/v1/waitlist/offers/{first_hold.public_id}/accept")
    assert late_accept.status_code == 409


def test_only_administrators_manage_working_hours_and_exceptions(practitioner, client):
    admin = UserFactory.create(role="admin")
    path = f"/api/v1/practitioners/{practitioner.public_id}/working-hours"
    rule = {"weekday": 1, "start_time": "13:00", "end_time": "17:00", "valid_from": "2026-01-01"}

    doctor_try = _api(practitioner.user).post(path, rule, format="json")
    created = _api(admin).post(path, rule, format="json")
    overlapping = _api(admin).post(
        path, {**rule, "start_time": "16:00", "end_time": "18:00"}, format="json"
    )
    empty = _api(admin).post(
        path, {**rule, "start_time": "18:00", "end_time": "18:00"}, format="json"
    )
    exception = _api(admin).post(
        f"/api/v1/practitioners/{practitioner.public_id}/exceptions",
        {
            "kind": "leave",
            "start": "2026-03-02T00:00:00Z",
            "end": "2026-03-03T00:00:00Z",
            "reason": "Conference",
        },
        format="json",
    )

    assert doctor_try.status_code == 403
    assert created.status_code == 201
    assert overlapping.status_code == 400
    assert empty.status_code == 400
    assert exception.status_code == 201
    assert AuditEvent.objects.filter(action="appointments.exception_added").exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_the_appointment_list_uses_a_fixed_number_of_queries(
    patient, department, consultation, rows, django_assert_num_queries
):
    from tests.factories import PractitionerFactory

    practitioners = PractitionerFactory.create_batch(
        rows, department=department, offers=[consultation]
    )
    for index, practitioner in enumerate(practitioners):
        Appointment.objects.create(
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY, 9) + datetime.timedelta(hours=index),
            end=at(MONDAY, 9, 30) + datetime.timedelta(hours=index),
            blocked_until=at(MONDAY, 9, 30) + datetime.timedelta(hours=index),
            channel="web",
        )
    api = _api(patient)

    # The token, the page of appointments (with its patients and types), its practitioners,
    # the page's reads in the audit (one INSERT, audit/access.py).
    with django_assert_num_queries(4):
        response = api.get("/api/v1/appointments")

    assert len(response.json()["results"]) == rows


def test_the_schema_documents_booking_with_examples(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    book = schema["paths"]["/api/v1/appointments"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in book["parameters"])
    assert book["requestBody"]["content"]["application/json"]["examples"]
    assert "409" in book["responses"]
    assert "/api/v1/slots" in schema["paths"]


def test_staff_see_their_patients_appointments_not_others(
    patient, practitioner, consultation, department
):
    from tests.factories import PractitionerFactory, WorkingHoursFactory

    _book(_api(patient), practitioner, consultation, at(MONDAY, 9))
    other_practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=other_practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    stranger = PatientProfileFactory.create().user
    _book(_api(stranger), other_practitioner, consultation, at(MONDAY, 10))

    mine = _api(practitioner.user).get("/api/v1/appointments").json()["results"]
    reception = (
        _api(UserFactory.create(role="receptionist")).get("/api/v1/appointments").json()["results"]
    )
    compliance = (
        _api(UserFactory.create(role="compliance_officer"))
        .get("/api/v1/appointments")
        .json()["results"]
    )

    assert [a["patient"]["id"] for a in mine] == [str(patient.public_id)]
    assert len(reception) == 2
    assert compliance == []


def test_reception_does_not_see_the_reason_for_the_visit(patient, practitioner, consultation):
    booked = _book(
        _api(patient), practitioner, consultation, at(MONDAY, 9), reason="Private symptoms"
    ).json()["id"]

    as_patient = _api(patient).get(f"/api/v1/appointments/{booked}").json()
    as_doctor = _api(practitioner.user).get(f"/api/v1/appointments/{booked}").json()
    as_reception = (
        _api(UserFactory.create(role="receptionist")).get(f"/api/v1/appointments/{booked}").json()
    )

    assert as_patient["reason"] == as_doctor["reason"] == "Private symptoms"
    assert as_reception["reason"] == ""


@pytest.mark.parametrize("rows", [1, 50])
def test_practitioner_and_slot_lists_use_a_fixed_number_of_queries(
    patient, department, consultation, rows, django_assert_num_queries
):
    from tests.factories import PractitionerFactory, WorkingHoursFactory

    for practitioner in PractitionerFactory.create_batch(
        rows, department=department, offers=[consultation]
    ):
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=0,
            start_time=datetime.time(9),
            end_time=datetime.time(10),
        )
    api = _api(patient)

    with django_assert_num_queries(3):  # token, appointment type, practitioners
        practitioners = api.get(
            "/api/v1/practitioners", {"appointment_type": str(consultation.public_id)}
        )
    # The user behind the token, then what the slot and catalog caches keep (this test's
    # transaction never commits, so nothing is stored): the type, the practitioners (with
    # their department), working hours, exceptions, booked time.
    with django_assert_num_queries(6):
        slots = api.get(
            "/api/v1/slots",
            {
                "appointment_type": str(consultation.public_id),
                "date_from": str(MONDAY),
                "date_to": str(MONDAY),
            },
        )

    assert len(practitioners.json()["results"]) == rows
    assert len(slots.json()["results"]) == rows * 2


def test_idempotency_records_are_forgotten_after_a_day(patient, practitioner, consultation):
    from core.tasks import purge_idempotency_records

    _book(_api(patient), practitioner, consultation, at(MONDAY, 9), key=str(uuid.uuid4()))

    with time_machine.travel(NOW + datetime.timedelta(hours=23), tick=False):
        kept = purge_idempotency_records.delay().get()
    with time_machine.travel(NOW + datetime.timedelta(hours=25), tick=False):
        purged = purge_idempotency_records.delay().get()

    assert (kept, purged) == (0, 1)
    assert not IdempotencyRecord.objects.exists()


# --- The contract of the lists (issue 9 #3, #7, #8) -------------------------------------------

LISTS = [
    "/api/v1/appointments",
    "/api/v1/appointment-types",
    "/api/v1/practitioners",
    "/api/v1/waitlist",
    "/api/v1/account/sessions",
    "/api/v1/departments",
    "/api/v1/account/mfa",
]


@pytest.mark.parametrize("path", LISTS)
def test_an_unknown_query_parameter_is_refused_not_ignored(patient, path):
    response = _api(patient).get(path, {"practitioners": "x"})

    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_ERROR"
    assert response.json()["errors"] == {"practitioners": ["Unknown query parameter."]}


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/appointments", "updated_since"),
        ("/api/v1/appointments", "date_from"),
        ("/api/v1/appointments", "patient"),
        ("/api/v1/appointment-types", "department"),
        ("/api/v1/practitioners", "department"),
    ],
)
def test_a_typed_query_parameter_sent_empty_is_refused_not_ignored(patient, path, parameter):
    response = _api(patient).get(path, {parameter: ""})

    assert response.status_code == 400
    assert response.json()["errors"] == {parameter: ["Give a value, or leave the parameter out."]}


@pytest.mark.parametrize(
    "path", ["/api/v1/appointments", "/api/v1/practitioners", "/api/v1/waitlist"]
)
def test_a_cursor_the_server_did_not_make_is_a_400_not_a_404(patient, path):
    response = _api(patient).get(path, {"cursor": "__main__"})

    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["Invalid cursor."]}


def test_unknown_slot_parameters_are_refused_too(patient, consultation):
    response = _api(patient).get(
        "/api/v1/slots",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": str(MONDAY),
            "date_to": str(MONDAY),
            "practitoner": "typo",
        },
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"practitoner": ["Unknown query parameter."]}


def test_query_and_body_errors_have_one_shape(patient, practitioner, consultation):
    query = _api(patient).get("/api/v1/appointments", {"when": "soon", "date_from": "monday"})
    window = _api(patient).get(
        "/api/v1/slots",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": "2026-03-10",
            "date_to": "2026-03-02",
        },
    )
    body = _book(_api(patient), practitioner, consultation, at(MONDAY, 9), reason="x" * 501)

    for response in (query, window, body):
        errors = response.json()["errors"]
        assert response.status_code == 400
        assert errors
        assert all(
            isinstance(messages, list) and all(isinstance(m, str) for m in messages)
            for messages in errors.values()
        ), errors
    assert set(query.json()["errors"]) == {"when", "date_from"}
    assert set(window.json()["errors"]) == {"date_to"}


def test_slots_come_in_cursor_pages_that_add_up_to_the_whole_window(patient, consultation):
    from tests.factories import PractitionerFactory, WorkingHoursFactory

    practitioner = PractitionerFactory.create(
        department=consultation.department, offers=[consultation]
    )
    for weekday in range(5):
        WorkingHoursFactory.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(17),
        )
    api = _api(patient)
    query = {
        "appointment_type": str(consultation.public_id),
        "date_from": str(MONDAY),
        "date_to": str(MONDAY + datetime.timedelta(days=13)),
    }

    pages = [api.get("/api/v1/slots", query).json()]
    while pages[-1]["next"]:
        pages.append(api.get(re.sub(r"^https?://[^/]+", "", pages[-1]["next"])).json())
    starts = [slot["start"] for page in pages for slot in page["results"]]

    assert len(pages) == 2
    assert len(pages[0]["results"]) == 100
    assert pages[0]["previous"] is None
    assert len(starts) == 10 * 16  # ten working days of sixteen half hours
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)


def test_a_bad_slot_cursor_is_a_field_error(patient, consultation):
    response = _api(patient).get(
        "/api/v1/slots",
        {
            "appointment_type": str(consultation.public_id),
            "date_from": str(MONDAY),
            "date_to": str(MONDAY),
            "cursor": "not a cursor",
        },
    )

    assert response.status_code == 400
    assert "cursor" in response.json()["errors"]


def test_references_are_id_and_name(patient, practitioner, consultation):
    booked = _book(_api(patient), practitioner, consultation, at(MONDAY, 9)).json()

    assert booked["appointment_type"] == {
        "id": str(consultation.public_id),
        "name": "Consultation",
    }
    assert booked["patient"] == {"id": str(patient.public_id), "name": patient.get_full_name()}
    assert booked["practitioner"]["department"] == {
        "id": str(practitioner.department.public_id),
        "name": "General Practice",
    }
    types = _api(patient).get("/api/v1/appointment-types").json()
    assert types[0]["department"] == booked["practitioner"]["department"]


def _appointment(patient, practitioner, consultation, start, minutes=30):
    return Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=start,
        end=start + datetime.timedelta(minutes=minutes),
        blocked_until=start + datetime.timedelta(minutes=minutes),
        channel="web",
    )


def test_a_clinician_gets_their_schedule_for_a_day(patient, practitioner, consultation, department):
    from tests.factories import PractitionerFactory

    other = PractitionerFactory.create(department=department, offers=[consultation])
    someone_else = PatientProfileFactory.create().user
    monday_nine = _appointment(patient, practitioner, consultation, at(MONDAY, 9))
    _appointment(
        someone_else, practitioner, consultation, at(MONDAY + datetime.timedelta(days=1), 9)
    )
    _appointment(patient, other, consultation, at(MONDAY, 10))
    doctor = _api(practitioner.user)
    reception = _api(UserFactory.create(role="receptionist"))
    day = {"date_from": str(MONDAY), "date_to": str(MONDAY)}

    mine = doctor.get("/api/v1/appointments", {"practitioner": "me", **day})
    theirs = reception.get("/api/v1/appointments", {"practitioner": str(other.public_id), **day})
    of_patient = reception.get("/api/v1/appointments", {"patient": str(patient.public_id)})
    patient_me = _api(patient).get("/api/v1/appointments", {"practitioner": "me"})
    bad = reception.get("/api/v1/appointments", {"practitioner": "someone"})

    assert [a["id"] for a in mine.json()["results"]] == [str(monday_nine.public_id)]
    assert [a["start"] for a in theirs.json()["results"]] == ["2026-03-02T10:00:00Z"]
    assert len(of_patient.json()["results"]) == 2
    assert patient_me.json()["results"] == []  # not a practitioner: no schedule of their own
    assert bad.status_code == 400
    assert "practitioner" in bad.json()["errors"]


def test_the_day_is_the_practitioners_local_day(patient, department, consultation):
    from tests.factories import PractitionerFactory

    tokyo = PractitionerFactory.create(
        department=department, offers=[consultation], time_zone="Asia/Tokyo"
    )
    # 2026-03-02 23:30 UTC is already Tuesday 08:30 in Tokyo.
    late = _appointment(patient, tokyo, consultation, at(MONDAY, 23, 30))

    monday = _api(tokyo.user).get(
        "/api/v1/appointments",
        {"practitioner": "me", "date_from": str(MONDAY), "date_to": str(MONDAY)},
    )
    tuesday = _api(tokyo.user).get(
        "/api/v1/appointments",
        {
            "practitioner": "me",
            "date_from": str(MONDAY + datetime.timedelta(days=1)),
            "date_to": str(MONDAY + datetime.timedelta(days=1)),
        },
    )

    assert monday.json()["results"] == []
    assert [a["id"] for a in tuesday.json()["results"]] == [str(late.public_id)]


def test_updated_since_returns_only_what_changed(patient, practitioner, consultation):
    old = _appointment(patient, practitioner, consultation, at(MONDAY, 9))
    Appointment.objects.filter(pk=old.pk).update(updated_at=NOW - datetime.timedelta(days=2))
    recent = _appointment(patient, practitioner, consultation, at(MONDAY, 10))

    response = _api(patient).get(
        "/api/v1/appointments",
        {"updated_since": (NOW - datetime.timedelta(hours=1)).isoformat()},
    )
    naive = _api(patient).get("/api/v1/appointments", {"updated_since": "2026-02-23T07:00:00"})

    assert [a["id"] for a in response.json()["results"]] == [str(recent.public_id)]
    assert naive.status_code == 400


@pytest.mark.parametrize("rows", [1, 50])
def test_a_filtered_schedule_uses_a_fixed_number_of_queries(
    patient, practitioner, consultation, rows, django_assert_num_queries
):
    for index in range(rows):
        _appointment(
            PatientProfileFactory.create().user,
            practitioner,
            consultation,
            at(MONDAY, 0) + datetime.timedelta(minutes=25 * index),
            minutes=20,
        )
    doctor = _api(practitioner.user)

    # The token, the practitioner's time zone, the page (with its joins), its practitioners,
    # the page's reads in the audit (one INSERT).
    with django_assert_num_queries(5):
        response = doctor.get(
            "/api/v1/appointments",
            {
                "practitioner": "me",
                "date_from": str(MONDAY),
                "date_to": str(MONDAY),
                "updated_since": "2026-01-01T00:00:00Z",
            },
        )

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_the_waitlist_uses_a_fixed_number_of_queries(
    patient, practitioner, consultation, rows, django_assert_num_queries
):
    for index in range(rows):
        WaitlistEntry.objects.create(
            patient=patient,
            appointment_type=consultation,
            practitioner=practitioner,
            date_from=MONDAY + datetime.timedelta(days=index),
            date_to=MONDAY + datetime.timedelta(days=index),
        )
    api = _api(patient)

    # The token, the page (with its joins), the read of her own record in the audit.
    with django_assert_num_queries(3):
        response = api.get("/api/v1/waitlist")

    assert len(response.json()["results"]) == rows


@pytest.mark.parametrize("rows", [1, 60])
def test_a_practitioners_leave_comes_in_pages_with_a_fixed_number_of_queries(
    practitioner, rows, django_assert_num_queries
):
    from appointments.models import AvailabilityException

    for index in range(rows):
        start = at(MONDAY, 0) + datetime.timedelta(days=7 * index)
        AvailabilityException.objects.create(
            practitioner=practitioner,
            kind="leave",
            start=start,
            end=start + datetime.timedelta(days=1),
        )
    admin = _api(UserFactory.create(role="admin"))
    path = f"/api/v1/practitioners/{practitioner.public_id}/exceptions"

    with django_assert_num_queries(3):  # the token, the practitioner, the page
        first = admin.get(path).json()
    rest = (
        admin.get(re.sub(r"^https?://[^/]+", "", first["next"])).json()["results"]
        if first["next"]
        else []
    )

    assert len(first["results"]) == min(rows, 50)
    assert len(first["results"]) + len(rest) == rows
