"""Completing a visit takes a note: written by the visit's practitioner on the page or the
API, shown to the patient and that practitioner only (never to reception, the admin or
another clinician), audited without its words."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from appointments.models import Appointment
from appointments.services.status import appointment_set_status
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, api_as, at, book
from tests.conftest import login_verified
from tests.factories import PractitionerFactory, UserFactory

pytestmark = pytest.mark.django_db

START = at(MONDAY, 9)
DURING = START + datetime.timedelta(minutes=10)
NOTE = "Blood pressure fine. Repeat the test in six months."


@pytest.fixture
def started(patient, practitioner, consultation):
    appointment = book(patient, practitioner, consultation, START)
    receptionist = UserFactory.create(role="receptionist")
    appointment_set_status(
        actor=receptionist, appointment=appointment, to_status="checked_in", now=START
    )
    appointment_set_status(
        actor=practitioner.user, appointment=appointment, to_status="in_progress", now=START
    )
    return appointment


def test_the_practitioner_completes_with_a_note_on_the_page(client, started, practitioner):
    url = f"/appointments/{started.public_id}/"
    with time_machine.travel(DURING, tick=False):
        login_verified(client, practitioner.user)
        form = client.get(url).content.decode()
        done = client.post(f"{url}status/completed/", {"note": f"  {NOTE}  "}, follow=True)

    assert '<label for="visit-note">Visit note (optional)</label>' in form
    started.refresh_from_db()
    assert (started.status, started.visit_note) == ("completed", NOTE)
    assert "<dt>Visit note</dt>" in done.content.decode()
    completed = AuditEvent.objects.get(action="appointments.completed")
    assert completed.details == {"note": True}


def test_the_api_takes_the_note_and_shows_it_to_the_patient_only(
    started, practitioner, patient, department, consultation
):
    with time_machine.travel(DURING, tick=False):
        response = api_as(practitioner.user).post(
            f"/api/v1/appointments/{started.public_id}/complete", {"note": NOTE}, format="json"
        )
        patient_sees = api_as(patient).get(f"/api/v1/appointments/{started.public_id}")
        reception_sees = api_as(UserFactory.create(role="receptionist")).get(
            f"/api/v1/appointments/{started.public_id}"
        )
        listed = api_as(patient).get("/api/v1/appointments")

    assert response.status_code == 200, response.json()
    assert response.json()["visit_note"] == NOTE
    assert patient_sees.json()["visit_note"] == NOTE
    assert reception_sees.status_code == 200 and reception_sees.json()["visit_note"] == ""
    assert [row["visit_note"] for row in listed.json()["results"]] == [NOTE]


def test_another_clinician_and_the_admin_never_read_it(client, started, practitioner):
    appointment_set_status(
        actor=practitioner.user, appointment=started, to_status="completed", now=DURING, note=NOTE
    )
    colleague = PractitionerFactory.create(department=practitioner.department)
    admin = UserFactory.create(role="admin")

    with time_machine.travel(DURING, tick=False):
        login_verified(client, admin)
        admin_page = client.get(f"/admin/appointments/appointment/{started.pk}/change/")
        detail = client.get(f"/appointments/{started.public_id}/")
        colleague_api = api_as(colleague.user).get(f"/api/v1/appointments/{started.public_id}")

    assert NOTE not in admin_page.content.decode()
    assert NOTE not in detail.content.decode()
    assert colleague_api.status_code == 404 or colleague_api.json()["visit_note"] == ""


def test_a_note_is_only_for_completing_and_not_too_long(started, practitioner):
    with pytest.raises(Exception, match="written when the visit is completed"):
        appointment_set_status(
            actor=practitioner.user,
            appointment=Appointment.objects.get(pk=started.pk),
            to_status="no_show",
            now=DURING + datetime.timedelta(hours=2),
            note=NOTE,
        )
    with time_machine.travel(DURING, tick=False):
        too_long = api_as(practitioner.user).post(
            f"/api/v1/appointments/{started.public_id}/complete",
            {"note": "x" * 4001},
            format="json",
        )

    assert too_long.status_code == 400
    assert "note" in too_long.json()["errors"]
    started.refresh_from_db()
    assert (started.status, started.visit_note) == ("in_progress", "")


def test_completing_without_a_note_still_works(started, practitioner):
    with time_machine.travel(DURING, tick=False):
        response = api_as(practitioner.user).post(
            f"/api/v1/appointments/{started.public_id}/complete"
        )

    assert response.status_code == 200
    assert response.json()["visit_note"] == ""
    assert AuditEvent.objects.get(action="appointments.completed").details in (None, {})
