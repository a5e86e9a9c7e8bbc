"""The front desk registers a walk-in patient: an account with no password (the patient
chooses one from the emailed link), a profile with a new record number, audited as created by
the receptionist; then books for them. Bad input changes nothing; only the front desk and
administrators may."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail

from accounts.models import PatientProfile, User
from audit.models import AuditEvent
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "/appointments/reception/patients/new/"
WALK_IN = {
    "legal_name": "Grace Hopper",
    "date_of_birth": "1956-12-09",
    "sex": "female",
    "phone": "020 7946 0958",
    "email": "Grace.Hopper@example.org",
}


@pytest.fixture
def desk(client):
    receptionist = UserFactory.create(role="receptionist")
    login_verified(client, receptionist)
    client.user = receptionist
    return client


def test_reception_registers_a_walk_in_and_goes_on_to_book(
    desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(PAGE, WALK_IN)

    user = User.objects.get(email__iexact="grace.hopper@example.org")
    profile = user.patient_profile
    assert response.status_code == 302
    assert response["Location"] == f"/appointments/book/?patient={user.public_id}"
    assert user.role == "patient" and user.is_active
    assert not user.has_usable_password()
    assert user.emailaddress_set.get().verified
    assert (profile.legal_name, profile.date_of_birth, profile.sex, profile.phone) == (
        "Grace Hopper",
        datetime.date(1956, 12, 9),
        "female",
        "+442079460958",
    )
    assert profile.medical_record_number.startswith("MRN")
    assert [message.to for message in mail.outbox] == [[user.email.lower()]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    actions = set(AuditEvent.objects.filter(actor=desk.user).values_list("action", flat=True))
    assert {
        "accounts.user_created",
        "accounts.patient_profile_created",
        "accounts.password_reset_sent",
    } <= actions
    created = AuditEvent.objects.get(action="accounts.user_created", actor=desk.user)
    assert created.details["source"] == "reception"
    booking_page = desk.get(response["Location"]).content.decode()
    assert "Grace Hopper is registered" in booking_page
    assert "Booking for <strong>Grace Hopper</strong>" in booking_page


@pytest.mark.parametrize(
    ("change", "field_error"),
    [
        ({"legal_name": ""}, "This field is required."),
        ({"date_of_birth": "2999-01-01"}, "The date of birth cannot be in the future."),
        ({"phone": "12"}, "Enter a phone number the patient can be reached on"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_writes_nothing(desk, change, field_error):
    response = desk.post(PAGE, {**WALK_IN, **change})

    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not User.objects.filter(role="patient").exists()
    assert not AuditEvent.objects.filter(action="accounts.user_created").exists()
    assert mail.outbox == []


def test_an_address_that_has_an_account_says_find_the_patient(desk):
    existing = PatientProfileFactory.create()

    response = desk.post(PAGE, {**WALK_IN, "email": existing.user.email.upper()})

    assert response.status_code == 400
    assert "already exists: find the patient" in response.content.decode()
    assert PatientProfile.objects.count() == 1


def test_the_admin_registers_too(client):
    login_verified(client, UserFactory.create(role="admin"))

    assert client.get(PAGE).status_code == 200
    assert client.post(PAGE, WALK_IN).status_code == 302


@pytest.mark.parametrize("role", ["patient", "doctor", "nurse", "compliance_officer"])
def test_nobody_else_reaches_the_page(client, role):
    login_verified(client, UserFactory.create(role=role))

    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, WALK_IN).status_code == 404
    assert not User.objects.filter(email__iexact=WALK_IN["email"]).exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.post(PAGE, WALK_IN)

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not User.objects.filter(email__iexact=WALK_IN["email"]).exists()


def test_reception_links_to_it(desk):
    assert PAGE in desk.get("/appointments/reception/").content.decode()
    assert PAGE in desk.get("/appointments/book/").content.decode()


def test_the_link_is_written_in_the_registrations_transaction(desk):
    # No on-commit callback runs here (the test's transaction never commits), yet the email
    # is handed to the mail backend: the link is sent inside the registration's transaction,
    # where the project's backend (notifications.mail) stores it as a delivery row with the
    # account, so neither can exist without the other (tests/notifications cover the queue).
    desk.post(PAGE, WALK_IN)

    user = User.objects.get(email__iexact=WALK_IN["email"])
    assert [message.to for message in mail.outbox] == [[user.email.lower()]]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
