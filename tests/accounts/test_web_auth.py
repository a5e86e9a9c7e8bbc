"""The web account flows (allauth pages with our rules): sign-up, email verification,
login, enumeration resistance, password reset and change, email change, deactivation."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY

from accounts.models import AuthSession, PatientProfile, User
from accounts.validators import is_valid_medical_record_number
from audit.models import AuditEvent
from tests.conftest import web_login
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a quiet lighthouse keeps watch over winter seas"


def _link(message, pattern: str) -> str:
    match = re.search(pattern, message.body)
    assert match, message.body
    return match.group(0)


def _signup(client, email="mary.seacole@example.org", **overrides):
    data = {
        "email": email,
        "legal_name": "Mary Seacole",
        "date_of_birth": "1985-11-23",
        "password1": NEW_PASSWORD,
        **overrides,
    }
    return client.post("/accounts/signup/", data)


def test_sign_up_creates_an_unverified_patient_with_a_profile_and_mrn(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the link leaves after commit
        response = _signup(client)

    user = User.objects.get(email="mary.seacole@example.org")
    profile = PatientProfile.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert user.role == "patient"
    assert list(user.groups.values_list("name", flat=True)) == ["Patients"]
    assert is_valid_medical_record_number(profile.medical_record_number)
    assert profile.legal_name == "Mary Seacole"
    assert not EmailAddress.objects.get(user=user).verified
    assert SESSION_KEY not in client.session  # not signed in before verifying
    assert len(mailoutbox) == 1
    assert "/accounts/confirm-email/" in mailoutbox[0].body
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.signed_up", "accounts.patient_profile_created"} <= actions


def test_an_unverified_patient_cannot_sign_in_until_the_link_is_opened(client, mailoutbox):
    _signup(client)
    blocked = web_login(client, "mary.seacole@example.org", NEW_PASSWORD)
    link = _link(mailoutbox[0], r"http://[^\s]+/accounts/confirm-email/[^\s/]+/")

    confirm_page = client.get(link)
    confirmed = client.post(link)
    signed_in = web_login(client, "MARY.SEACOLE@example.org", NEW_PASSWORD)

    assert blocked.status_code == 302
    assert blocked["Location"] == "/accounts/confirm-email/"
    assert confirm_page.status_code == 200
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="mary.seacole@example.org").verified
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/start/"
    assert AuditEvent.objects.filter(action="accounts.email_verified").count() == 1
    assert AuditEvent.objects.filter(action="accounts.login", outcome="success").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"legal_name": "x" * 151}, "legal_name", "at most 150"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "future"),
        ({"date_of_birth": "31/31/1990"}, "date_of_birth", "valid date"),
        ({"password1": "short pass"}, "password1", "at least 15"),
        ({"password1": "correct horse battery staple"}, "password1", "too common"),
    ],
)
def test_sign_up_refuses_bad_input_clearly_and_creates_nothing(
    client, mailoutbox, overrides, field, message
):
    response = _signup(client, **overrides)

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors
    assert message in " ".join(errors[field])
    assert User.objects.count() == 0
    assert mailoutbox == []


def test_sign_up_with_a_taken_email_looks_the_same_and_warns_the_owner(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    UserFactory.create(email="taken@example.org")

    with django_capture_on_commit_callbacks(execute=True):  # both emails leave after commit
        fresh = _signup(client, email="fresh@example.org")
        taken = _signup(client, email="Taken@Example.org")

    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"])
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1
    assert [m.to for m in mailoutbox] == [["fresh@example.org"], ["taken@example.org"]]


def test_login_answers_the_same_for_unknown_email_and_wrong_password(client):
    UserFactory.create(email="known@example.org")

    unknown = web_login(client, "nobody@example.org", "some long wrong passphrase here")
    wrong = web_login(client, "known@example.org", "some long wrong passphrase here")

    assert unknown.status_code == wrong.status_code == 200
    assert unknown.context["form"].errors == wrong.context["form"].errors
    assert "not correct" in str(wrong.context["form"].errors)
    failures = AuditEvent.objects.filter(action="accounts.login_failed", outcome="failure")
    assert failures.count() == 2


def test_a_deactivated_account_cannot_sign_in_and_looks_like_a_wrong_password(client):
    UserFactory.create(email="gone@example.org", is_active=False)

    response = web_login(client, "gone@example.org")

    assert response.status_code == 200
    assert "not correct" in str(response.context["form"].errors)


def test_login_rotates_the_session_id_and_records_the_session(client, patient):
    client.get("/accounts/login/")
    anonymous_key = client.session.session_key

    web_login(client, patient.email)

    assert client.session.session_key != anonymous_key
    session = AuthSession.objects.get(user=patient)
    assert session.kind == "web"
    assert session.session_key == client.session.session_key
    assert session.ended_at is None


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    client, mailoutbox, patient
):
    known = client.post("/accounts/password/reset/", {"email": patient.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mailoutbox) == 2  # the owner gets a link, the unknown address a notice
    assert "/accounts/password/reset/key/" in mailoutbox[0].body
    assert "/accounts/password/reset/key/" not in mailoutbox[1].body


def test_password_reset_link_sets_a_new_password_and_ends_every_session(
    client, mailoutbox, patient
):
    other_browser = type(client)()
    web_login(other_browser, patient.email)
    client.post("/accounts/password/reset/", {"email": patient.email})
    link = _link(mailoutbox[0], r"http://[^\s]+/accounts/password/reset/key/[^\s]+/")

    form_page = client.get(link, follow=True)
    action = form_page.request["PATH_INFO"]
    done = client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    patient.refresh_from_db()
    assert done.status_code == 302
    assert patient.check_password(NEW_PASSWORD)
    assert other_browser.get("/accounts/").status_code == 302  # signed out there
    assert not AuthSession.objects.filter(user=patient, ended_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="accounts.password_reset", actor=patient).exists()


def test_password_change_ends_every_other_session_but_keeps_this_one(client, patient):
    other_browser = type(client)()
    web_login(other_browser, patient.email)
    web_login(client, patient.email)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert client.get("/accounts/").status_code == 200
    assert other_browser.get("/accounts/").status_code == 302
    ended = AuthSession.objects.get(user=patient, ended_at__isnull=False)
    assert ended.end_reason == "password_changed"
    assert AuditEvent.objects.filter(action="accounts.password_changed", actor=patient).count() == 1


def test_password_change_with_a_wrong_current_password_changes_nothing(client, patient):
    web_login(client, patient.email)

    response = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": "not my current passphrase",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )

    patient.refresh_from_db()
    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    assert patient.check_password(TEST_PASSWORD)


def test_email_change_takes_effect_only_once_the_new_address_is_verified(
    client, mailoutbox, patient
):
    web_login(client, patient.email)
    old_email = patient.email

    needs_password = client.post(
        "/accounts/email/", {"email": "new.address@example.org", "action_add": ""}
    )
    client.post(needs_password["Location"], {"password": TEST_PASSWORD})
    client.post("/accounts/email/", {"email": "new.address@example.org", "action_add": ""})
    patient.refresh_from_db()
    still_old = patient.email
    to_new = [m for m in mailoutbox if m.to == ["new.address@example.org"]]
    link = _link(to_new[0], r"http://[^\s]+/accounts/confirm-email/[^\s/]+/")
    client.post(link)

    patient.refresh_from_db()
    assert any(m.to == [old_email] for m in mailoutbox)  # the old address is told
    assert needs_password["Location"].startswith("/accounts/reauthenticate/")
    assert still_old == old_email
    assert patient.email == "new.address@example.org"
    assert list(EmailAddress.objects.filter(user=patient).values_list("email", flat=True)) == [
        "new.address@example.org"
    ]


def test_deactivation_needs_the_password_and_ends_all_sessions(client, patient):
    web_login(client, patient.email)

    refused = client.post("/accounts/deactivate/", {"password": "not my current passphrase"})
    done = client.post("/accounts/deactivate/", {"password": TEST_PASSWORD})

    patient.refresh_from_db()
    assert refused.status_code == 400
    assert done.status_code == 302
    assert patient.is_active is False
    assert client.get("/accounts/").status_code == 302
    assert web_login(client, patient.email).status_code == 200  # refused: form shown again
    assert AuditEvent.objects.filter(
        action="accounts.deactivated", target_id=str(patient.public_id)
    ).exists()


def test_pages_refuse_a_form_posted_without_csrf_token(patient):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)

    response = client.post("/accounts/login/", {"login": patient.email, "password": TEST_PASSWORD})

    assert response.status_code == 403
    assert "Form expired" in response.content.decode()
    assert not AuthSession.objects.exists()
