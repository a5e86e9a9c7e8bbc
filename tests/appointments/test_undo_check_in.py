"""Undoing a check-in recorded by mistake (the wrong row at a busy desk), and recording a
no-show from the pages: whoever checks in undoes it, until the visit starts; the pages show
"Undo check-in" and, after the grace period, "Did not come" where the user may use them."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client

from appointments.models import Appointment
from appointments.services import booking
from appointments.services.status import appointment_set_status
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = at(MONDAY, 9)
CHECK_IN_TIME = START - datetime.timedelta(minutes=10)
AFTER_GRACE = START + datetime.timedelta(minutes=30)


@pytest.fixture
def appointment(patient, practitioner, consultation):
    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=START,
        channel="web",
        now=NOW,
    )


@pytest.fixture
def receptionist(db):
    return UserFactory.create(role="receptionist")


def _checked_in(appointment, receptionist):
    return appointment_set_status(
        actor=receptionist, appointment=appointment, to_status="checked_in", now=CHECK_IN_TIME
    )


def test_reception_undoes_a_check_in_and_it_is_audited(appointment, receptionist):
    checked_in = _checked_in(appointment, receptionist)

    with time_machine.travel(CHECK_IN_TIME, tick=False):
        response = api_as(receptionist).post(
            f"/api/v1/appointments/{appointment.public_id}/check-in/undo"
        )

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "booked"
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert appointment.checked_in_at is None
    assert appointment.revision == checked_in.revision + 1
    undone = AuditEvent.objects.get(action="appointments.check_in_undone")
    assert (undone.actor_id, undone.patient_id, undone.target_id) == (
        receptionist.pk,
        appointment.patient_id,
        str(appointment.public_id),
    )
    # Checked in again afterwards, as a new check-in.
    again = appointment_set_status(
        actor=receptionist, appointment=appointment, to_status="checked_in", now=CHECK_IN_TIME
    )
    assert again.status == "checked_in"


def test_a_started_visit_cannot_be_undone_to_booked(appointment, receptionist, practitioner):
    _checked_in(appointment, receptionist)
    appointment_set_status(
        actor=practitioner.user, appointment=appointment, to_status="in_progress", now=START
    )

    with time_machine.travel(START, tick=False):
        response = api_as(receptionist).post(
            f"/api/v1/appointments/{appointment.public_id}/check-in/undo"
        )

    assert response.status_code == 409
    assert response.json()["code"] == "INVALID_TRANSITION"
    assert Appointment.objects.get(pk=appointment.pk).status == "in_progress"
    assert not AuditEvent.objects.filter(action="appointments.check_in_undone").exists()


def test_an_appointment_never_checked_in_has_nothing_to_undo(appointment, receptionist):
    with time_machine.travel(CHECK_IN_TIME, tick=False):
        response = api_as(receptionist).post(
            f"/api/v1/appointments/{appointment.public_id}/check-in/undo"
        )

    assert response.status_code == 409
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_the_reception_list_and_the_appointment_page_offer_the_undo(
    client, appointment, receptionist, practitioner
):
    _checked_in(appointment, receptionist)
    undo_url = f"/appointments/{appointment.public_id}/status/booked/"

    with time_machine.travel(CHECK_IN_TIME, tick=False):
        login_verified(client, receptionist)
        listed = client.get("/appointments/reception/").content.decode()
        detail = client.get(f"/appointments/{appointment.public_id}/").content.decode()
        done = client.post(undo_url, {"next": "/appointments/reception/"}, follow=True)

    assert f'action="{undo_url}"' in listed
    assert '<button type="submit" class="secondary">Undo check-in</button>' in listed
    assert f'action="{undo_url}"' in detail
    assert done.redirect_chain[-1][0] == "/appointments/reception/"
    assert "Check-in undone: the appointment is booked again." in done.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_the_clinician_sees_no_undo_but_starts_the_visit(
    client, appointment, receptionist, practitioner
):
    _checked_in(appointment, receptionist)
    with time_machine.travel(CHECK_IN_TIME, tick=False):
        login_verified(client, practitioner.user)
        detail = client.get(f"/appointments/{appointment.public_id}/").content.decode()

    assert "Undo check-in" not in detail
    assert ">Start visit</button>" in detail


@pytest.mark.parametrize("role", ["receptionist", "doctor"])
def test_did_not_come_appears_after_the_grace_period_only(
    client, appointment, receptionist, practitioner, role
):
    user = receptionist if role == "receptionist" else practitioner.user
    page = f"/appointments/{appointment.public_id}/"
    no_show_url = f"/appointments/{appointment.public_id}/status/no_show/"

    with time_machine.travel(START + datetime.timedelta(minutes=5), tick=False):
        login_verified(client, user)
        early = client.get(page).content.decode()
    later = Client()  # a session of its own: the first one's idle time has run out
    with time_machine.travel(AFTER_GRACE, tick=False):
        login_verified(later, user)
        late = later.get(page).content.decode()
        recorded = later.post(no_show_url, follow=True)

    assert no_show_url not in early
    assert f'action="{no_show_url}"' in late
    assert "Recorded as a no-show." in recorded.content.decode()
    assert Appointment.objects.get(pk=appointment.pk).status == "no_show"
    assert AuditEvent.objects.filter(action="appointments.no_show", actor_id=user.pk).exists()


def test_the_patient_sees_neither(client, appointment, patient):
    with time_machine.travel(AFTER_GRACE, tick=False):
        login_verified(client, patient)
        detail = client.get(f"/appointments/{appointment.public_id}/").content.decode()

    assert "Did not come" not in detail
    assert "Undo check-in" not in detail
