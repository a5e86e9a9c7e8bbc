"""Clinicians see a patient's appointments only during a care relationship (an upcoming
appointment with them, or one that ended within APPOINTMENT_CARE_RELATIONSHIP_DAYS; a
cancelled one does not count), and the reason for the visit only on their own appointments.

A GP and a cardiologist both see the same patient; the GP's view of the cardiology visit is
what the rule decides."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from appointments import permissions
from appointments.selectors.appointments import appointments_visible_to
from appointments.serializers.bookings import AppointmentOutput
from appointments.services import booking
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import login_verified, web_login
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visits(patient, practitioner, consultation, cardiologist, echo):
    """The patient's GP visit (09:00) and cardiology visit (10:00) on the same Monday."""
    gp_visit = book(patient, practitioner, consultation, at(MONDAY, 9), reason="Sore knee")
    cardiology_visit = book(patient, cardiologist, echo, at(MONDAY, 10), reason="Chest pain")
    return gp_visit, cardiology_visit


def _gp_view(practitioner, appointment):
    return api_as(practitioner.user).get(f"/api/v1/appointments/{appointment.public_id}")


@pytest.mark.asvs("8.2.2", "8.2.3")
def test_during_care_a_clinician_sees_the_patients_other_visits_without_their_reason(
    practitioner, visits
):
    gp_visit, cardiology_visit = visits

    other = _gp_view(practitioner, cardiology_visit)
    own = _gp_view(practitioner, gp_visit)

    assert other.status_code == 200
    assert other.json()["reason"] == ""
    assert own.json()["reason"] == "Sore knee"


@pytest.mark.asvs("8.2.2")
def test_the_relationship_ends_the_configured_days_after_the_last_visit(
    practitioner, visits, settings
):
    gp_visit, cardiology_visit = visits
    ended = gp_visit.end

    with time_machine.travel(ended + 29 * DAY, tick=False):
        during = _gp_view(practitioner, cardiology_visit).status_code
    with time_machine.travel(ended + 31 * DAY, tick=False):
        after = _gp_view(practitioner, cardiology_visit).status_code
        listed = api_as(practitioner.user).get("/api/v1/appointments").json()["results"]
        own_later = _gp_view(practitioner, gp_visit)
    default = getattr(settings, "APPOINTMENT_CARE_RELATIONSHIP_DAYS", None)
    settings.APPOINTMENT_CARE_RELATIONSHIP_DAYS = 7
    with time_machine.travel(ended + 8 * DAY, tick=False):
        shorter = _gp_view(practitioner, cardiology_visit).status_code

    assert during == 200
    assert after == 404
    assert [a["id"] for a in listed] == [str(gp_visit.public_id)]
    # Their own visits stay in their own record, reason included.
    assert own_later.status_code == 200
    assert own_later.json()["reason"] == "Sore knee"
    assert shorter == 404
    assert default == 30


@pytest.mark.asvs("8.2.2")
def test_a_cancelled_appointment_creates_no_care_relationship(practitioner, visits):
    gp_visit, cardiology_visit = visits
    booking.appointment_cancel(actor=gp_visit.patient, appointment=gp_visit, now=NOW)

    other = _gp_view(practitioner, cardiology_visit)
    visible = set(appointments_visible_to(user=practitioner.user))

    assert other.status_code == 404
    assert other.json()["code"] == "APPOINTMENT_NOT_FOUND"
    assert cardiology_visit not in visible


@pytest.mark.asvs("8.2.2")
def test_an_upcoming_visit_opens_the_patients_history_until_it_is_over(
    practitioner, consultation, cardiologist, echo
):
    patient = PatientProfileFactory.create().user
    old = book(patient, cardiologist, echo, at(MONDAY, 10))
    later = MONDAY + 70 * DAY

    with time_machine.travel(at(later, 8), tick=False):
        before = _gp_view(practitioner, old).status_code
        booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY + 77 * DAY, 9),
            channel="web",
        )
        with_upcoming = _gp_view(practitioner, old).status_code

    assert before == 404
    assert with_upcoming == 200


# --- The reason for the visit: one predicate for every surface -------------------------------

READERS = {
    "patient": True,
    "its_practitioner": True,
    "colleague_in_care": False,  # the cardiologist, who sees the patient too
    "receptionist": False,
    "admin": False,
    "superuser": False,
}


def _viewer(who, patient, practitioner, cardiologist):
    return {
        "patient": lambda: patient,
        "its_practitioner": lambda: practitioner.user,
        "colleague_in_care": lambda: cardiologist.user,
        "receptionist": lambda: UserFactory.create(role="receptionist"),
        "admin": lambda: UserFactory.create(role="admin"),
        "superuser": lambda: UserFactory.create(role="admin", is_superuser=True),
    }[who]()


@pytest.mark.asvs("8.2.3", "8.1.2")
@pytest.mark.parametrize(("who", "sees"), READERS.items())
def test_the_reason_is_for_the_patient_and_the_visits_own_practitioner(
    who, sees, client, patient, practitioner, cardiologist, visits
):
    gp_visit, _ = visits
    viewer = _viewer(who, patient, practitioner, cardiologist)
    if viewer.is_patient:
        web_login(client, viewer.email)
    else:
        login_verified(client, viewer)

    api = api_as(viewer).get(f"/api/v1/appointments/{gp_visit.public_id}").json()
    listed = api_as(viewer).get("/api/v1/appointments").json()["results"]
    page = client.get(f"/appointments/{gp_visit.public_id}/").content.decode()
    ics = client.get(f"/appointments/{gp_visit.public_id}/calendar.ics").content.decode()

    assert (api["reason"] == "Sore knee") is sees
    assert ("Sore knee" in str(listed)) is sees
    assert ("Sore knee" in page) is sees
    assert "Sore knee" not in ics
    assert permissions.can_see_reason(user=viewer, appointment=gp_visit) is sees


@pytest.mark.asvs("8.2.3")
def test_the_appointment_output_hides_the_reason_unless_told_who_looks(visits):
    gp_visit, _ = visits

    assert AppointmentOutput(gp_visit).data["reason"] == ""
    assert AppointmentOutput(gp_visit, context={"viewer": gp_visit.patient}).data["reason"] == (
        "Sore knee"
    )


@pytest.mark.asvs("8.2.3", "14.2.1")
def test_a_clinicians_calendar_feed_has_their_own_visits_and_no_reason(
    client, practitioner, visits
):
    from appointments.services import calendar

    gp_visit, cardiology_visit = visits
    token = calendar.calendar_feed_create(user=practitioner.user)

    feed = client.get(f"/appointments/calendar/{token}.ics").content.decode()

    assert f"UID:{gp_visit.public_id}@" in feed
    assert str(cardiology_visit.public_id) not in feed
    assert "Sore knee" not in feed
    assert "Chest pain" not in feed
