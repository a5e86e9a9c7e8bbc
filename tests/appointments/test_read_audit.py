"""Reads of appointments are audited (audit/access.py): who, whose record, what, when, from
where and why, one row per object or list shown per request (a list's row names every patient
it showed), written in one statement before the response leaves; refusals (another patient's appointment is a 404) are audited too, and a read whose
audit row cannot be written is not sent."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import login_verified, web_login
from tests.factories import PatientProfileFactory, StaffProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def reads(**filters: object) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="records.viewed", **filters).order_by("id"))


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="records.refused").order_by("id"))


@pytest.fixture
def visit(patient, practitioner, consultation):
    return book(patient, practitioner, consultation, at(MONDAY, 9))


@pytest.fixture
def receptionist(department):
    return StaffProfileFactory.create(user__role="receptionist", department=department).user


def test_a_patient_opening_their_appointment_is_recorded_as_their_own_read(client, patient, visit):
    web_login(client, patient.email)

    response = client.get(f"/appointments/{visit.public_id}/", REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 200
    (read,) = reads()
    assert (read.actor_id, read.patient_id, read.actor_role) == (patient.pk, patient.pk, "patient")
    assert (read.target_type, read.target_id) == ("appointments.appointment", str(visit.public_id))
    assert read.details == {"surface": "page", "purpose": "self"}
    assert read.ip_address == "198.51.100.7"
    assert read.request_id == response["X-Request-ID"]
    assert read.outcome == "success"


def test_the_clinician_and_the_api_are_recorded_with_their_purpose_and_surface(
    client, patient, practitioner, visit
):
    login_verified(client, practitioner.user)
    assert client.get(f"/appointments/{visit.public_id}/").status_code == 200
    assert (
        api_as(practitioner.user).get(f"/api/v1/appointments/{visit.public_id}").status_code == 200
    )

    page, api = reads(target_type="appointments.appointment")
    for read in (page, api):
        assert (read.actor_id, read.patient_id) == (practitioner.user.pk, patient.pk)
        assert read.details["purpose"] == "treatment"
    assert (page.details["surface"], api.details["surface"]) == ("page", "api")


def test_a_schedule_is_one_row_naming_each_patient_shown_once_in_one_statement(
    client, practitioner, consultation, receptionist
):
    patients = [PatientProfileFactory.create().user for _ in range(3)]
    for hour, patient in zip((9, 10, 11), patients, strict=True):
        book(patient, practitioner, consultation, at(MONDAY, hour))
    book(patients[0], practitioner, consultation, at(MONDAY, 11, 30))  # shown twice
    login_verified(client, receptionist)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/appointments/schedule/", {"date": MONDAY.isoformat()})

    assert response.status_code == 200
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "audit_auditevent"')]
    assert len(inserts) == 1
    (row,) = reads(actor=receptionist)
    assert row.patient_id is None
    assert row.patients == sorted(p.pk for p in patients)
    assert (row.target_type, row.details["purpose"]) == ("appointments.schedule", "operations")
    for patient in patients:
        assert list(AuditEvent.objects.concerning(patient.pk).filter(action=row.action)) == [row]


def test_a_list_showing_one_patient_names_them_in_the_patient_column(
    client, patient, practitioner, visit
):
    login_verified(client, practitioner.user)

    assert client.get("/appointments/schedule/", {"date": MONDAY.isoformat()}).status_code == 200

    (row,) = reads(target_type="appointments.schedule")
    assert (row.patient_id, row.patients, row.patient_ids) == (patient.pk, None, [patient.pk])


def test_the_api_list_records_the_patients_of_the_page_it_returns(
    practitioner, consultation, receptionist
):
    patients = [PatientProfileFactory.create().user for _ in range(2)]
    for hour, patient in zip((9, 10), patients, strict=True):
        book(patient, practitioner, consultation, at(MONDAY, hour))
    others = [PatientProfileFactory.create().user for _ in range(2)]

    response = api_as(receptionist).get("/api/v1/appointments")

    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
    (row,) = reads(target_type="appointments.list")
    assert row.patients == sorted(p.pk for p in patients)
    for patient in patients:
        assert AuditEvent.objects.concerning(patient.pk).filter(pk=row.pk).exists()
    for other in others:
        assert not AuditEvent.objects.concerning(other.pk).exists()


def test_my_appointments_is_one_read_of_ones_own_record(client, patient, visit):
    web_login(client, patient.email)

    assert client.get("/appointments/").status_code == 200

    (read,) = reads()
    assert (read.patient_id, read.target_type, read.details["purpose"]) == (
        patient.pk,
        "appointments.own_list",
        "self",
    )


@pytest.mark.parametrize("surface", ["page", "api"])
def test_another_patients_appointment_is_a_404_and_the_attempt_is_recorded(client, surface, visit):
    intruder = PatientProfileFactory.create().user
    if surface == "page":
        web_login(client, intruder.email)
        status = client.get(f"/appointments/{visit.public_id}/").status_code
        route = "appointments/<uuid:appointment_id>/"
    else:
        status = api_as(intruder).get(f"/api/v1/appointments/{visit.public_id}").status_code
        route = "api/v1/appointments/<uuid:appointment_id>"

    assert status == 404
    assert reads() == []
    (refusal,) = refusals()
    assert (refusal.actor_id, refusal.outcome, refusal.target_id) == (
        intruder.pk,
        "denied",
        str(visit.public_id),
    )
    assert refusal.target_type == "route"
    assert refusal.details == {"status": 404, "method": "GET", "surface": surface, "route": route}


def test_an_unknown_appointment_is_recorded_like_another_patients(client, patient):
    web_login(client, patient.email)
    unknown = uuid.uuid4()

    assert client.get(f"/appointments/{unknown}/").status_code == 404

    (refusal,) = refusals()
    assert refusal.target_id == str(unknown)


def test_a_403_is_recorded(client, patient):
    web_login(client, patient.email)

    assert client.get("/accounts/identity-requests/").status_code == 403

    (refusal,) = refusals()
    assert (refusal.actor_id, refusal.details["status"]) == (patient.pk, 403)
    assert refusal.details["route"] == "accounts/identity-requests/"


def test_a_429_is_recorded(settings, patient, consultation):
    settings.RATE_LIMITS_ENABLED = True
    settings.SLOT_SEARCH_RATE_LIMIT = "1/m"
    api = api_as(patient)
    search = {
        "appointment_type": str(consultation.public_id),
        "date_from": str(MONDAY),
        "date_to": str(MONDAY),
    }

    assert [api.get("/api/v1/slots", search).status_code for _ in range(2)] == [200, 429]

    (refusal,) = refusals()
    assert (refusal.actor_id, refusal.details["status"]) == (patient.pk, 429)
    assert refusal.details["route"] == "api/v1/slots"


def test_an_anonymous_404_is_not_recorded(client):
    """Scanners' 404s would fill the trail with nothing (a signed-in user's are kept)."""
    assert client.get("/api/v1/no-such-thing").status_code == 404
    assert refusals() == []


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_a_read_whose_audit_row_the_database_refuses_is_not_sent(client, patient, visit):
    """The owner makes the database refuse read rows: the page answers an error, and the
    patient's data does not leave."""
    from tests.database_roles import owner_connection

    web_login(client, patient.email)
    with owner_connection() as owner, owner.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE audit_auditevent ADD CONSTRAINT no_reads "
            "CHECK (action <> 'records.viewed') NOT VALID"
        )
    try:
        client.raise_request_exception = False
        response = client.get(f"/appointments/{visit.public_id}/")
    finally:
        with owner_connection() as owner, owner.cursor() as cursor:
            cursor.execute("ALTER TABLE audit_auditevent DROP CONSTRAINT no_reads")

    assert response.status_code == 500
    assert visit.appointment_type.name not in response.content.decode()
    # (the booking's confirmation email to the patient was recorded when it was sent)
    assert [read for read in reads() if read.details["surface"] == "page"] == []


# --- Every surface that shows a patient's data, as each role that may use it ---------------


def _signed_in(client, user):
    if user.is_staff_member or user.is_superuser:
        login_verified(client, user)
    else:
        web_login(client, user.email)
    return client


def _page(path, **query):
    def get(client, user, visit, patient):
        values = {"visit": visit, "patient": patient}
        return _signed_in(client, user).get(
            path.format(**values), {name: value.format(**values) for name, value in query.items()}
        )

    return get


def _reception(client, user, visit, patient):
    """Today's list: the patient's visit booked for today too."""
    book(patient, visit.practitioner, visit.appointment_type, at(NOW.date(), 10))
    return _page("/appointments/reception/")(client, user, visit, patient)


def _api(path):
    def get(client, user, visit, patient):
        return api_as(user).get(path.format(visit=visit, patient=patient))

    return get


def _admin(path):
    def get(client, user, visit, patient):
        return _signed_in(client, user).get(
            path.format(visit=visit, patient=patient, profile=patient.patient_profile)
        )

    return get


def _finder(client, user, visit, patient):
    profile = patient.patient_profile
    return _signed_in(client, user).post(
        "/appointments/book/",
        {"find-date_of_birth": profile.date_of_birth.isoformat(), "find-name": profile.legal_name},
    )


def _feed(client, user, visit, patient):
    from appointments.services.calendar import calendar_feed_create

    token = calendar_feed_create(user=user)
    return client.get(f"/appointments/calendar/{token}.ics")


def _identity_requests(client, user, visit, patient):
    from accounts.services.identity import identity_change_request

    identity_change_request(patient=patient, legal_name="Ada Changed")
    return _signed_in(client, user).get("/accounts/identity-requests/")


def _confirm(client, user, visit, patient):
    """The reception's step 3 for the patient, at a free time of the visit's clinician."""
    return _signed_in(client, user).get(
        "/appointments/book/confirm/",
        {
            "appointment_type": str(visit.appointment_type.public_id),
            "practitioner": str(visit.practitioner.public_id),
            "start": at(MONDAY, 10).isoformat(),
            "patient": str(patient.public_id),
        },
    )


SURFACES = [
    # (surface, who, how, what the row names)
    (
        "detail page",
        "patient",
        _page("/appointments/{visit.public_id}/"),
        "appointments.appointment",
    ),
    (
        "detail page",
        "doctor",
        _page("/appointments/{visit.public_id}/"),
        "appointments.appointment",
    ),
    (
        "detail page",
        "receptionist",
        _page("/appointments/{visit.public_id}/"),
        "appointments.appointment",
    ),
    (
        "detail page identifiers",
        "receptionist",
        _page("/appointments/{visit.public_id}/"),
        "accounts.patientprofile",
    ),
    (
        "reschedule page",
        "patient",
        _page("/appointments/{visit.public_id}/reschedule/"),
        "appointments.appointment",
    ),
    (
        "cancel page",
        "receptionist",
        _page("/appointments/{visit.public_id}/cancel/"),
        "appointments.appointment",
    ),
    (
        "calendar file",
        "patient",
        _page("/appointments/{visit.public_id}/calendar.ics"),
        "appointments.appointment",
    ),
    (
        "schedule",
        "doctor",
        _page("/appointments/schedule/", date=MONDAY.isoformat()),
        "appointments.schedule",
    ),
    ("reception", "receptionist", _reception, "appointments.schedule"),
    (
        "booking for",
        "receptionist",
        _page("/appointments/book/", patient="{patient.public_id}"),
        "accounts.user",
    ),
    ("patient finder", "receptionist", _finder, "accounts.patient_search"),
    ("my appointments", "patient", _page("/appointments/"), "appointments.own_list"),
    ("account page", "patient", _page("/accounts/"), "accounts.patientprofile"),
    ("profile page", "patient", _page("/accounts/profile/"), "accounts.patientprofile"),
    ("identity requests", "receptionist", _identity_requests, "accounts.identity_requests"),
    ("calendar feed", "patient", _feed, "appointments.calendar_feed"),
    ("calendar feed", "doctor", _feed, "appointments.calendar_feed"),
    (
        "api detail",
        "patient",
        _api("/api/v1/appointments/{visit.public_id}"),
        "appointments.appointment",
    ),
    (
        "api detail",
        "doctor",
        _api("/api/v1/appointments/{visit.public_id}"),
        "appointments.appointment",
    ),
    ("api list", "receptionist", _api("/api/v1/appointments"), "appointments.list"),
    ("api list", "patient", _api("/api/v1/appointments"), "appointments.list"),
    (
        "api calendar file",
        "patient",
        _api("/api/v1/appointments/{visit.public_id}/calendar.ics"),
        "appointments.appointment",
    ),
    ("api profile", "patient", _api("/api/v1/account/profile"), "accounts.patientprofile"),
    ("waitlist page", "patient", _page("/appointments/waitlist/"), "appointments.waitlist"),
    ("api waitlist", "patient", _api("/api/v1/waitlist"), "appointments.waitlist"),
    ("booking confirm", "receptionist", _confirm, "accounts.user"),
    (
        "admin profiles",
        "admin",
        _admin("/admin/accounts/patientprofile/"),
        "admin.accounts.patientprofile_list",
    ),
    (
        "admin profile",
        "admin",
        _admin("/admin/accounts/patientprofile/{profile.pk}/change/"),
        "accounts.patientprofile",
    ),
    (
        "admin appointments",
        "admin",
        _admin("/admin/appointments/appointment/"),
        "admin.appointments.appointment_list",
    ),
    (
        "admin appointment",
        "admin",
        _admin("/admin/appointments/appointment/{visit.pk}/change/"),
        "appointments.appointment",
    ),
    (
        "admin users",
        "admin",
        _admin("/admin/accounts/user/?role=patient"),
        "admin.accounts.user_list",
    ),
    ("admin user", "admin", _admin("/admin/accounts/user/{patient.pk}/change/"), "accounts.user"),
]


@pytest.mark.parametrize(
    ("surface", "who", "how", "what"),
    SURFACES,
    ids=[f"{surface}-{who}" for surface, who, _how, _what in SURFACES],
)
def test_every_surface_showing_a_patient_records_the_read(
    client, surface, who, how, what, patient, practitioner, visit, receptionist, admin_user
):
    reader = {
        "patient": patient,
        "doctor": practitioner.user,
        "receptionist": receptionist,
        "admin": admin_user,
    }[who]

    response = how(client, reader, visit, patient)

    assert response.status_code == 200, (surface, response.status_code)
    rows = [
        read
        for read in AuditEvent.objects.concerning(patient.pk).filter(action="records.viewed")
        if read.target_type == what
    ]
    assert rows, (surface, [(r.target_type, r.patient_ids) for r in reads()])
    assert {read.actor_id for read in rows} == {reader.pk}
    assert all(read.outcome == "success" for read in rows)
