"""The patient's home (My appointments) leads with the next appointment: when, with whom,
where and how to get there, what to bring (per appointment type, or the hospital's default),
and what can be done about it. The public home page says how to reach the hospital."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from appointments.models import Appointment
from appointments.selectors.appointments import DEFAULT_PREPARATION
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db
PAGE = "/appointments/"


@pytest.fixture
def where(department, consultation):
    department.location = "Main building, 2nd floor"
    department.directions = "Take lift B from the main entrance."
    department.save(update_fields=["location", "directions"])
    consultation.preparation = "Bring your inhaler."
    consultation.save(update_fields=["preparation"])


def _page(client, patient, when=NOW):
    with time_machine.travel(when, tick=False):
        login_verified(client, patient)
        return client.get(PAGE).content.decode()


def test_the_next_appointment_comes_first_with_where_and_what_to_bring(
    client, patient, practitioner, consultation, where
):
    later = book(patient, practitioner, consultation, at(MONDAY, 11))
    first = book(patient, practitioner, consultation, at(MONDAY, 9, 30))

    html = _page(client, patient)

    card = html.split('aria-labelledby="next-heading"', 1)[1].split("</section>", 1)[0]
    assert f'href="/appointments/{first.public_id}/"' in card
    assert str(later.public_id) not in card
    assert "Monday 2 March 2026, 09:30" in card
    assert "<dt>Where</dt><dd>Main building, 2nd floor</dd>" in card
    assert "<dt>Getting there</dt><dd>Take lift B from the main entrance.</dd>" in card
    assert "<dt>What to bring</dt><dd>Bring your inhaler.</dd>" in card
    assert f'href="/appointments/{first.public_id}/reschedule/"' in card
    assert f'href="/appointments/{first.public_id}/cancel/"' in card


def test_a_type_without_instructions_gets_the_hospitals_default(
    client, patient, practitioner, consultation
):
    book(patient, practitioner, consultation, at(MONDAY, 9))

    html = _page(client, patient)

    assert f"<dt>What to bring</dt><dd>{DEFAULT_PREPARATION}</dd>" in html
    assert "<dt>Where</dt>" not in html  # the department has not said


def test_inside_the_cut_off_the_card_offers_no_move_or_cancel(
    client, patient, practitioner, consultation
):
    appointment = book(patient, practitioner, consultation, at(MONDAY, 9))

    html = _page(client, patient, when=at(MONDAY, 8))

    assert "Your next appointment" in html
    assert f"/appointments/{appointment.public_id}/reschedule/" not in html


def test_cancelled_and_other_patients_appointments_are_never_the_next(
    client, patient, practitioner, consultation
):
    cancelled = book(patient, practitioner, consultation, at(MONDAY, 9))
    Appointment.objects.filter(pk=cancelled.pk).update(status="cancelled")
    someone_else = PatientProfileFactory.create().user
    book(someone_else, practitioner, consultation, at(MONDAY, 10))

    html = _page(client, patient)

    assert "Your next appointment" not in html


def test_the_page_costs_one_query_more_for_the_card(
    client, patient, practitioner, consultation, django_assert_max_num_queries
):
    for hour in (9, 10, 11):
        book(patient, practitioner, consultation, at(MONDAY, hour))
    with time_machine.travel(NOW, tick=False):
        login_verified(client, patient)
        with django_assert_max_num_queries(13):  # the 13th: the reads in the audit
            assert client.get(PAGE).status_code == 200


def test_the_public_home_page_says_how_to_reach_the_hospital(client, settings):
    html = client.get("/").content.decode()

    contact = settings.HOSPITAL_CONTACT
    assert "Contact us" in html
    assert f'href="tel:{contact["phone"].replace(" ", "")}"' in html
    assert f'href="mailto:{contact["email"]}"' in html
    assert contact["address"] in html and contact["hours"] in html


def test_a_summer_time_appointment_reads_in_the_clinics_zone(
    client, patient, practitioner, consultation
):
    # Europe/London is on summer time (UTC+1) on Monday 6 April 2026.
    summer = datetime.date(2026, 4, 6)
    book(patient, practitioner, consultation, at(summer, 8))  # 09:00 in London

    html = _page(client, patient)

    assert "Monday 6 April 2026, 09:00" in html


def test_the_newest_unread_messages_are_on_the_home_page(client, patient):
    from notifications.models import Notification

    for n in range(4):
        Notification.objects.create(
            recipient=patient, kind="test", category="appointments", title=f"Unread {n}"
        )
    Notification.objects.create(
        recipient=patient,
        kind="test",
        category="appointments",
        title="Already read",
        read_at=NOW,
    )
    someone_else = PatientProfileFactory.create().user
    Notification.objects.create(
        recipient=someone_else, kind="test", category="appointments", title="Not yours"
    )

    html = _page(client, patient)

    card = html.split('aria-labelledby="recent-heading"', 1)[1].split("</section>", 1)[0]
    assert card.count("<li>") == 3  # the newest three
    assert "Already read" not in card and "Not yours" not in card
    assert 'href="/notifications/"' in card
