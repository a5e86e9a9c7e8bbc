"""After a failed save, the page starts with what to correct, each item linking to its field,
whatever the form is called in the page's context."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login_verified
from tests.factories import AppointmentTypeFactory, PractitionerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _summary(html: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert found, "the page starts with an error summary"
    return found.group(0)


def test_a_failed_save_lists_each_problem_with_a_link_to_its_field(client, patient):
    client.force_login(patient)

    response = client.post(
        "/accounts/profile/",
        {"phone": "call me", "country": "Atlantis", "preferred_language": "en"},
    )

    summary = _summary(response.content.decode())
    assert response.status_code == 400
    assert 'role="alert"' in summary
    assert "autofocus" in summary
    assert "Please correct these 2 things:" in summary
    assert '<a href="#id_phone">Phone: Enter a valid phone number.' in summary
    assert '<a href="#id_country">Country: Select a valid choice.' in summary


def test_a_form_under_another_name_is_summarised_too(client):
    consultation = AppointmentTypeFactory.create()
    practitioner = PractitionerFactory.create(
        department=consultation.department, offers=[consultation]
    )
    login_verified(client, UserFactory.create(role="admin"))

    response = client.post(
        f"/appointments/manage/{practitioner.public_id}/hours/",
        {"weekday": "", "start_time": "25:00", "end_time": "", "valid_from": ""},
    )

    summary = _summary(response.content.decode())
    assert response.status_code == 400
    assert 'href="#id_weekday"' in summary
    assert 'href="#id_start_time"' in summary


def test_a_page_without_errors_has_no_summary(client, patient):
    client.force_login(patient)

    html = client.get("/accounts/profile/").content.decode()

    assert "error-summary" not in html


def test_an_error_of_the_whole_form_is_in_the_summary_too(client, patient):
    response = client.post(
        "/accounts/login/", {"login": patient.email, "password": "not the password at all"}
    )

    summary = _summary(response.content.decode())
    assert "The email address and/or password you entered are not correct." in summary
    assert "<a " not in summary  # no field to link to
    # One alert: the form's own copy of the message is not announced a second time.
    assert response.content.decode().count('role="alert"') == 1


def test_a_leave_that_ends_before_it_starts_is_the_ends_error(client):
    consultation = AppointmentTypeFactory.create()
    practitioner = PractitionerFactory.create(
        department=consultation.department, offers=[consultation]
    )
    login_verified(client, UserFactory.create(role="admin"))

    response = client.post(
        f"/appointments/manage/{practitioner.public_id}/exceptions/",
        {"kind": "leave", "start": "2031-03-12T10:00", "end": "2031-03-11T10:00"},
    )

    summary = _summary(response.content.decode())
    assert response.status_code == 400
    assert '<a href="#id_end">' in summary and "The end must be after the start." in summary
