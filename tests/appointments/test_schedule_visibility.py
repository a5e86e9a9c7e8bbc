"""Schedules show clinicians only what the care-relationship rule lets them see: a colleague's
appointments with patients they do not care for are busy blocks (time only: no patient, no
type, no link). Reception and administrators see every schedule in full; nobody sees the
reason for the visit on a schedule."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from appointments.selectors.appointments import schedule_visible_to
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.conftest import login_verified, web_login
from tests.factories import (
    PatientProfileFactory,
    PractitionerFactory,
    StaffProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cardiology_visit(cardiologist, echo):
    patient = PatientProfileFactory.create(user__full_name="Ada Heartwell").user
    return book(patient, cardiologist, echo, at(MONDAY, 10), reason="Chest pain")


def _schedule(client, **query):
    response = client.get("/appointments/schedule/", {"date": "2026-03-02", **query})
    return response.status_code, response.content.decode()


@pytest.mark.asvs("8.2.2", "8.2.3")
@pytest.mark.parametrize("by", ["practitioner", "department"])
def test_a_clinician_sees_another_departments_schedule_as_busy_blocks(
    by, client, practitioner, cardiologist, cardiology_visit
):
    login_verified(client, practitioner.user)
    query = (
        {"practitioner": cardiologist.public_id}
        if by == "practitioner"
        else {"department": cardiologist.department.public_id}
    )

    status, html = _schedule(client, **query)

    assert status == 200
    assert "Ada Heartwell" not in html
    assert "Echocardiogram" not in html
    assert f"/appointments/{cardiology_visit.public_id}/" not in html
    assert "Busy" in html
    assert "10:00" in html  # the time stays: colleagues plan around it


@pytest.mark.asvs("8.2.2")
def test_a_nurse_of_the_same_department_without_the_patient_sees_busy_blocks(
    client, practitioner, consultation, patient, department
):
    book(patient, practitioner, consultation, at(MONDAY, 9))
    nurse = StaffProfileFactory.create(user__role="nurse", department=department).user
    PractitionerFactory.create(department=department, user=nurse)
    login_verified(client, nurse)

    status, html = _schedule(client, practitioner=practitioner.public_id)

    assert status == 200
    assert patient.get_full_name() not in html
    assert "Busy" in html


@pytest.mark.asvs("8.2.2")
def test_a_clinician_caring_for_the_patient_sees_the_name_on_a_colleagues_schedule(
    client, practitioner, consultation, cardiologist, cardiology_visit
):
    book(cardiology_visit.patient, practitioner, consultation, at(MONDAY, 9))
    login_verified(client, practitioner.user)

    status, html = _schedule(client, practitioner=cardiologist.public_id)

    assert status == 200
    assert "Ada Heartwell" in html
    assert f"/appointments/{cardiology_visit.public_id}/" in html
    assert "Chest pain" not in html


@pytest.mark.asvs("8.2.1", "8.2.3")
@pytest.mark.parametrize(("role", "expected"), [("receptionist", 200), ("admin", 200)])
def test_the_front_desk_sees_every_schedule_in_full_but_not_the_reason(
    role, expected, client, cardiologist, cardiology_visit
):
    login_verified(client, UserFactory.create(role=role))

    status, html = _schedule(client, practitioner=cardiologist.public_id)

    assert status == expected
    assert "Ada Heartwell" in html
    assert "Echocardiogram" in html
    assert "Chest pain" not in html


@pytest.mark.asvs("8.2.1")
def test_patients_and_the_compliance_officer_have_no_schedule(client, patient, cardiology_visit):
    web_login(client, patient.email)
    as_patient = _schedule(client)[0]
    client.logout()
    login_verified(client, UserFactory.create(role="compliance_officer"))
    as_compliance = _schedule(client)[0]

    assert (as_patient, as_compliance) == (404, 404)


@pytest.mark.asvs("8.3.1")
def test_the_selector_marks_what_the_viewer_may_not_see(
    practitioner, cardiologist, cardiology_visit
):
    start = at(MONDAY, 0)
    entries = schedule_visible_to(
        user=practitioner.user,
        practitioners=[cardiologist],
        start=start,
        end=at(MONDAY, 23),
    )
    nobody = schedule_visible_to(
        user=cardiology_visit.patient,
        practitioners=[cardiologist],
        start=start,
        end=at(MONDAY, 23),
    )

    assert [(e.start, e.appointment) for e in entries] == [(cardiology_visit.start, None)]
    assert nobody == []


@pytest.mark.parametrize("rows", [1, 20])
def test_the_schedule_is_one_query_whatever_its_size(
    rows, practitioner, consultation, cardiologist, django_assert_num_queries
):
    for hour in range(rows):
        book(
            PatientProfileFactory.create().user,
            practitioner,
            consultation,
            at(MONDAY, 9) + datetime.timedelta(days=7 * (hour // 6), minutes=30 * (hour % 6)),
        )
    end = at(MONDAY, 0) + datetime.timedelta(days=28)

    with django_assert_num_queries(1):
        entries = schedule_visible_to(
            user=cardiologist.user, practitioners=[practitioner], start=at(MONDAY, 0), end=end
        )

    assert len(entries) == rows
    assert {e.appointment for e in entries} == {None}
