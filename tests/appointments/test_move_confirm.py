"""Moving an appointment on the pages: the current time is not offered, the chosen time is
confirmed on a page naming the old and the new time, and times inside the online-change
cut-off are marked before the patient picks them. Booking shows the change policy first."""

from __future__ import annotations

import datetime
import re
from urllib.parse import quote

import pytest
import time_machine

from appointments.models import Appointment
from tests.appointments.conftest import MONDAY, at, book
from tests.conftest import login_verified
from tests.factories import StaffProfileFactory, UserFactory, WorkingHoursFactory

TUESDAY = MONDAY + datetime.timedelta(days=1)
# Sunday noon: Monday's times start within 24 hours (inside the cut-off), Tuesday's do not.
SUNDAY_NOON = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.UTC)
LATE_MARK = "Can\u2019t be changed online"


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(SUNDAY_NOON, tick=False):
        yield


@pytest.fixture
def tuesday_appointment(patient, practitioner, consultation) -> Appointment:
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=1,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    appointment = book(patient, practitioner, consultation, at(TUESDAY, 9))
    return appointment


def _slot_links(html: str) -> list[str]:
    return re.findall(r'<a class="slot" href="\?start=([^"]+)"', html)


def test_the_list_leaves_out_the_current_time_and_links_each_time_to_a_confirmation(
    client, patient, tuesday_appointment
):
    client.force_login(patient)

    page = client.get(f"/appointments/{tuesday_appointment.public_id}/reschedule/")

    html = page.content.decode()
    links = _slot_links(html)
    assert page.status_code == 200
    assert quote(at(TUESDAY, 9).isoformat(), safe="") not in links
    assert quote(at(TUESDAY, 9, 30).isoformat(), safe="") in links
    assert quote(at(MONDAY, 9).isoformat(), safe="") in links
    # Picking a time changes nothing: the list has links, no forms that move.
    assert 'method="post"' not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_confirmation_names_the_old_and_new_time_and_only_its_post_moves(
    client, patient, tuesday_appointment
):
    client.force_login(patient)
    new_start = at(TUESDAY, 10, 30)
    url = f"/appointments/{tuesday_appointment.public_id}/reschedule/"

    confirm = client.get(url, {"start": new_start.isoformat()})
    tuesday_appointment.refresh_from_db()
    unchanged = tuesday_appointment.start
    moved = client.post(url, {"start": new_start.isoformat()})
    tuesday_appointment.refresh_from_db()

    html = confirm.content.decode()
    assert confirm.status_code == 200
    assert "<del>Tuesday 3 March 2026, 09:00\u201309:30 (Europe/London)</del>" in html
    assert "<strong>Tuesday 3 March 2026, 10:30\u201311:00 (Europe/London)</strong>" in html
    assert f'name="start" value="{new_start.isoformat()}"' in html
    assert "won\u2019t be able to change" not in html
    assert "up to 24 hours before the start" in html
    assert unchanged == at(TUESDAY, 9)
    assert moved.status_code == 302
    assert tuesday_appointment.start == new_start


def test_times_inside_the_cutoff_are_marked_and_warned_before_the_patient_commits(
    client, patient, tuesday_appointment
):
    client.force_login(patient)
    url = f"/appointments/{tuesday_appointment.public_id}/reschedule/"

    listing = client.get(url).content.decode()
    confirm_late = client.get(url, {"start": at(MONDAY, 9).isoformat()}).content.decode()

    monday = quote(at(MONDAY, 9).isoformat(), safe="")
    tuesday = quote(at(TUESDAY, 10).isoformat(), safe="")
    monday_link = re.search(rf'href="\?start={re.escape(monday)}"[^>]*>(.*?)</a>', listing)
    tuesday_link = re.search(rf'href="\?start={re.escape(tuesday)}"[^>]*>(.*?)</a>', listing)
    assert monday_link is not None and tuesday_link is not None
    assert LATE_MARK in monday_link.group(1)
    assert 'aria-describedby="late-note"' in monday_link.group(0)
    assert LATE_MARK not in tuesday_link.group(1)
    assert "won\u2019t be able to change or cancel it online" in confirm_late


def test_the_reception_sees_no_cutoff_marks(client, tuesday_appointment):
    receptionist = StaffProfileFactory.create(user=UserFactory.create(role="receptionist")).user
    login_verified(client, receptionist)

    listing = client.get(f"/appointments/{tuesday_appointment.public_id}/reschedule/")

    assert listing.status_code == 200
    assert LATE_MARK not in listing.content.decode()


@pytest.mark.parametrize("start", ["", "not-a-time", "2026-03-03T09:00:00"])
def test_a_confirmation_without_a_usable_new_time_goes_back_to_the_list(
    client, patient, tuesday_appointment, start
):
    client.force_login(patient)
    url = f"/appointments/{tuesday_appointment.public_id}/reschedule/"

    response = client.get(url, {"start": start}, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "Choose one of the times shown." in response.content.decode()


def test_the_current_time_is_not_offered_for_confirmation(client, patient, tuesday_appointment):
    client.force_login(patient)
    url = f"/appointments/{tuesday_appointment.public_id}/reschedule/"

    response = client.get(url, {"start": at(TUESDAY, 9).isoformat()})

    assert response.status_code == 302
    assert response["Location"] == url


def test_another_patients_appointment_has_no_move_pages(client, tuesday_appointment):
    from tests.factories import PatientProfileFactory

    client.force_login(PatientProfileFactory.create().user)
    url = f"/appointments/{tuesday_appointment.public_id}/reschedule/"

    assert client.get(url).status_code == 404
    assert client.get(url, {"start": at(TUESDAY, 10).isoformat()}).status_code == 404


def test_booking_shows_the_change_policy_and_warns_inside_the_cutoff(
    client, patient, practitioner, consultation, tuesday_appointment
):
    client.force_login(patient)

    def confirm_page(start: datetime.datetime) -> str:
        return client.get(
            "/appointments/book/confirm/",
            {
                "appointment_type": consultation.public_id,
                "practitioner": practitioner.public_id,
                "start": start.isoformat(),
            },
        ).content.decode()

    outside = confirm_page(at(TUESDAY, 11))
    inside = confirm_page(at(MONDAY, 10))

    assert "You can move or cancel online up to 24 hours before the start" in outside
    assert "can\u2019t be moved or cancelled online" not in outside
    assert "once booked, it can\u2019t be moved or cancelled online" in inside


def test_booking_the_same_type_twice_on_one_day_asks_first(
    client, patient, practitioner, consultation, tuesday_appointment
):
    from tests.factories import AppointmentTypeFactory

    other_type = AppointmentTypeFactory.create(department=consultation.department)
    practitioner.appointment_types.add(other_type)
    client.force_login(patient)

    def confirm_page(appointment_type, start: datetime.datetime) -> str:
        return client.get(
            "/appointments/book/confirm/",
            {
                "appointment_type": appointment_type.public_id,
                "practitioner": practitioner.public_id,
                "start": start.isoformat(),
            },
        ).content.decode()

    same_day = confirm_page(consultation, at(TUESDAY, 11))
    other_day = confirm_page(consultation, at(MONDAY, 11))
    other_type_same_day = confirm_page(other_type, at(TUESDAY, 11))

    assert "You already have a Consultation that day" in same_day
    assert f'href="/appointments/{tuesday_appointment.public_id}/"' in same_day
    assert "already have" not in other_day
    assert "already have" not in other_type_same_day
