"""The visit's steps happen at the visit's time: check-in opens a configurable time before the
start (APPOINTMENT_CHECK_IN_OPENS_MINUTES), the visit starts only after the check-in and
completes only after the start. Before, reception checked in, and a doctor started and
completed, a visit 13 hours ahead. Refusals are 409s with their own codes on the API and a
readable message on the pages, whose buttons are hidden until the step is possible."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client

from appointments.models import Appointment
from appointments.services import booking
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

START = at(MONDAY, 9)  # Monday 2 March 2026, 09:00 (Europe/London = UTC in March)
THIRTEEN_HOURS_BEFORE = START - datetime.timedelta(hours=13)


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


def _post(user, appointment, step: str, when: datetime.datetime):
    with time_machine.travel(when, tick=False):
        return api_as(user).post(f"/api/v1/appointments/{appointment.public_id}/{step}")


def _steps_recorded(appointment) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            target_id=str(appointment.public_id), action__startswith="appointments."
        )
        .exclude(action="appointments.booked")
        .values_list("action", flat=True)
    )


def test_check_in_13_hours_ahead_is_refused_with_its_own_code(appointment, receptionist):
    response = _post(receptionist, appointment, "check-in", THIRTEEN_HOURS_BEFORE)

    assert response.status_code == 409
    assert response.json()["code"] == "CHECK_IN_NOT_OPEN"
    assert response.json()["detail"] == (
        "Check-in opens at Monday 2 March 2026, 08:00 (Europe/London), 60 minutes before the start."
    )
    appointment.refresh_from_db()
    assert appointment.status == "booked"
    assert appointment.checked_in_at is None
    assert _steps_recorded(appointment) == []


def test_check_in_opens_exactly_at_the_configured_time(appointment, receptionist):
    one_minute_early = _post(
        receptionist, appointment, "check-in", START - datetime.timedelta(minutes=61)
    )
    on_time = _post(receptionist, appointment, "check-in", START - datetime.timedelta(minutes=60))

    assert one_minute_early.status_code == 409
    assert on_time.status_code == 200
    assert on_time.json()["status"] == "checked_in"


def test_the_window_is_a_setting(appointment, receptionist, settings):
    settings.APPOINTMENT_CHECK_IN_OPENS_MINUTES = 15

    half_an_hour_before = _post(
        receptionist, appointment, "check-in", START - datetime.timedelta(minutes=30)
    )
    quarter_before = _post(
        receptionist, appointment, "check-in", START - datetime.timedelta(minutes=15)
    )

    assert half_an_hour_before.json()["code"] == "CHECK_IN_NOT_OPEN"
    assert (
        "08:45 (Europe/London), 15 minutes before the start"
        in (half_an_hour_before.json()["detail"])
    )
    assert quarter_before.status_code == 200


def test_the_doctor_cannot_start_or_complete_before_the_check_in(appointment, practitioner):
    doctor = practitioner.user
    on_the_day = START - datetime.timedelta(minutes=10)

    start_early = _post(doctor, appointment, "start", THIRTEEN_HOURS_BEFORE)
    complete_early = _post(doctor, appointment, "complete", THIRTEEN_HOURS_BEFORE)
    start_unchecked = _post(doctor, appointment, "start", on_the_day)
    Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")
    complete_unstarted = _post(doctor, appointment, "complete", on_the_day)

    assert start_early.status_code == start_unchecked.status_code == 409
    assert start_unchecked.json()["code"] == "VISIT_NOT_CHECKED_IN"
    assert start_early.json()["code"] == "VISIT_NOT_CHECKED_IN"
    assert complete_early.status_code == complete_unstarted.status_code == 409
    assert complete_early.json()["code"] == "VISIT_NOT_STARTED"
    assert complete_unstarted.json()["code"] == "VISIT_NOT_STARTED"
    assert _steps_recorded(appointment) == []


def test_a_visit_checked_in_early_by_other_means_still_cannot_start_hours_ahead(
    appointment, practitioner
):
    """Rows checked in before the rule existed (or by a data fix) do not bypass it."""
    Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")

    started = _post(practitioner.user, appointment, "start", THIRTEEN_HOURS_BEFORE)

    assert started.status_code == 409
    assert started.json()["code"] == "CHECK_IN_NOT_OPEN"
    assert started.json()["detail"] == (
        "The visit cannot be recorded before check-in opens at Monday 2 March 2026, "
        "08:00 (Europe/London)."
    )


def test_the_whole_visit_on_the_day(appointment, receptionist, practitioner):
    checked = _post(receptionist, appointment, "check-in", at(MONDAY, 8, 40))
    started = _post(practitioner.user, appointment, "start", at(MONDAY, 9, 2))
    completed = _post(practitioner.user, appointment, "complete", at(MONDAY, 9, 25))

    assert [checked.status_code, started.status_code, completed.status_code] == [200, 200, 200]
    assert _steps_recorded(appointment) == [
        "appointments.checked_in",
        "appointments.in_progress",
        "appointments.completed",
    ]


def test_pages_hide_the_buttons_until_the_step_is_possible(
    client, appointment, receptionist, practitioner
):
    detail_url = f"/appointments/{appointment.public_id}/"
    check_in_url = f"/appointments/{appointment.public_id}/status/checked_in/"
    with time_machine.travel(at(MONDAY, 6), tick=False):  # three hours ahead
        login_verified(client, receptionist)
        early_reception = client.get("/appointments/reception/").content.decode()
        early_detail = client.get(detail_url).content.decode()
        refused = client.post(check_in_url, follow=True)
    with time_machine.travel(at(MONDAY, 8, 30), tick=False):
        desk, doctor = Client(), Client()  # new sign-ins (the early session has timed out)
        login_verified(desk, receptionist)
        open_reception = desk.get("/appointments/reception/").content.decode()
        checked = desk.post(check_in_url)
        login_verified(doctor, practitioner.user)
        doctor_detail = doctor.get(detail_url).content.decode()

    assert "Check in" not in early_reception
    assert "Check in" not in early_detail
    assert (
        "Check-in opens at Monday 2 March 2026, 08:00 (Europe/London), 60 minutes before "
        "the start." in refused.content.decode()
    )
    assert "Check in" in open_reception
    assert checked.status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == "checked_in"
    assert "Start visit" in doctor_detail
    assert "Complete visit" not in doctor_detail


def test_the_doctor_sees_no_start_button_before_the_check_in(client, appointment, practitioner):
    with time_machine.travel(at(MONDAY, 8, 55), tick=False):
        login_verified(client, practitioner.user)
        detail = client.get(f"/appointments/{appointment.public_id}/").content.decode()
        refused = client.post(
            f"/appointments/{appointment.public_id}/status/in_progress/", follow=True
        )

    assert "Start visit" not in detail
    assert "The patient has not been checked in yet: check them in first." in (
        refused.content.decode()
    )
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
