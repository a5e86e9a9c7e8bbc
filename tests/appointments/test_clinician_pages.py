"""What a clinician needs on the appointment page and the schedule: who the patient is beyond
the name (age, date of birth, record number: staff only), and a Today link beside Earlier and
Later that keeps the chosen practitioner and view."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from appointments.services import booking
from appointments.views.appointment import age_on
from tests.appointments.conftest import MONDAY, NOW, at
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def appointment(patient, practitioner, consultation):
    profile = patient.patient_profile
    profile.date_of_birth = datetime.date(1980, 3, 3)
    profile.save(update_fields=["date_of_birth"])
    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=at(MONDAY, 9),
        channel="web",
        now=NOW,
    )


@pytest.mark.parametrize(
    ("born", "day", "age"),
    [
        (datetime.date(1980, 3, 3), datetime.date(2026, 3, 2), 45),
        (datetime.date(1980, 3, 3), datetime.date(2026, 3, 3), 46),
        (datetime.date(2000, 2, 29), datetime.date(2026, 2, 28), 25),
        (datetime.date(2000, 2, 29), datetime.date(2026, 3, 1), 26),
    ],
)
def test_age_counts_whole_years(born, day, age):
    assert age_on(born, day) == age


@pytest.mark.parametrize("role", ["doctor", "receptionist", "admin"])
def test_staff_see_age_date_of_birth_and_record_number(client, appointment, practitioner, role):
    user = practitioner.user if role == "doctor" else UserFactory.create(role=role)
    profile = appointment.patient.patient_profile

    with time_machine.travel(datetime.datetime(2026, 3, 2, 8, tzinfo=datetime.UTC), tick=False):
        login_verified(client, user)
        html = client.get(f"/appointments/{appointment.public_id}/").content.decode()

    assert f"{appointment.patient.get_full_name()}, 45 years" in html
    assert "<dt>Date of birth</dt><dd>3 March 1980</dd>" in html
    assert f"<dt>Record number</dt><dd>{profile.medical_record_number}</dd>" in html


def test_the_patient_page_shows_no_record_block(client, appointment, patient):
    login_verified(client, patient)

    html = client.get(f"/appointments/{appointment.public_id}/").content.decode()

    assert "Record number" not in html and "years</dd>" not in html


def test_the_schedule_offers_today_and_keeps_the_choice(client, practitioner):
    login_verified(client, practitioner.user)

    with time_machine.travel(datetime.datetime(2026, 7, 15, 9, tzinfo=datetime.UTC), tick=False):
        html = client.get(
            "/appointments/schedule/",
            {"practitioner": str(practitioner.public_id), "view": "week", "date": "2026-03-02"},
        ).content.decode()

    links = {}
    for name in ("Earlier", "Today", "Later"):
        marker = html.index(f">{name}" if name == "Today" else name)
        href = html[:marker].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
        links[name] = parse_qs(urlsplit(href).query)
    assert links["Today"]["date"] == ["2026-07-15"]
    assert links["Earlier"]["date"] == ["2026-02-23"]
    assert links["Later"]["date"] == ["2026-03-09"]
    for query in links.values():
        assert query["practitioner"] == [str(practitioner.public_id)]
        assert query["view"] == ["week"]
    assert "data-auto-submit" in html
