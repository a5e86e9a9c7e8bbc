"""A session becomes MFA-verified only through one audited service (web and API alike), and
a session that is not verified may add a factor only while the account has none."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.test import APIClient

from accounts.models import AuthSession, SmsDevice
from audit.models import AuditEvent
from tests.conftest import totp_code, web_login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]


def _api_signed_in(user) -> APIClient:
    api = APIClient()
    tokens = api.post(
        "/api/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    ).json()["tokens"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return api


def _passkey(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user,
        name="Phone",
        confirmed=True,
        credential_id=b"credential-" + str(user.pk).encode(),
        public_key=b"unused",
        aaguid="00000000-0000-0000-0000-000000000000",
    )


@pytest.mark.asvs("16.3.1")
def test_the_api_marks_its_session_verified_through_the_audited_service(doctor):
    api = _api_signed_in(doctor)
    api.post("/api/v1/account/mfa/totp", {"password": TEST_PASSWORD}, format="json")
    device = TOTPDevice.objects.get(user=doctor, confirmed=False)

    confirmed = api.post(
        "/api/v1/account/mfa/totp/confirm", {"code": totp_code(device)}, format="json"
    )

    session = AuthSession.objects.get(user=doctor)
    assert confirmed.status_code == 200
    assert session.mfa_device == device.persistent_id
    row = AuditEvent.objects.get(action="accounts.session_verified")
    assert (row.actor, row.target_type, row.target_id) == (
        doctor,
        "accounts.authsession",
        str(session.public_id),
    )
    assert row.details == {"method": "totp", "kind": "api"}


@pytest.mark.asvs("16.3.1", "7.2.4")
def test_the_web_marks_its_session_verified_through_the_same_service(client, doctor):
    web_login(client, doctor.email)
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    client.get("/accounts/security/totp/")
    device = TOTPDevice.objects.get(user=doctor, confirmed=False)
    key_before = client.session.session_key

    client.post("/accounts/security/totp/", {"code": totp_code(device)})

    session = AuthSession.objects.get(user=doctor)
    assert client.session.session_key != key_before  # a new session id for the stronger session
    assert session.session_key == client.session.session_key
    assert session.mfa_device == device.persistent_id
    row = AuditEvent.objects.get(action="accounts.session_verified")
    assert row.target_id == str(session.public_id)
    assert row.details == {"method": "totp", "kind": "web"}


@pytest.mark.asvs("6.3.2", "6.3.3", "16.3.3")
def test_an_unverified_api_session_cannot_add_a_factor_to_an_account_that_has_one(doctor):
    # A passkey-only staff member who got an unverified session (the old hole: password only).
    _passkey(doctor)
    session_api = APIClient()
    from accounts.services.sessions import api_session_start

    pair = api_session_start(user=doctor, request=None)
    session_api.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    totp = session_api.post("/api/v1/account/mfa/totp", {"password": TEST_PASSWORD}, format="json")
    sms = session_api.post(
        "/api/v1/account/mfa/sms",
        {"phone": "+44 7911 123456", "password": TEST_PASSWORD},
        format="json",
    )
    confirm = session_api.post(
        "/api/v1/account/mfa/totp/confirm", {"code": "123456"}, format="json"
    )

    assert (totp.status_code, totp.json()["code"]) == (403, "MFA_REQUIRED")
    assert (sms.status_code, sms.json()["code"]) == (403, "MFA_REQUIRED")
    assert (confirm.status_code, confirm.json()["code"]) == (403, "MFA_REQUIRED")
    assert not TOTPDevice.objects.filter(user=doctor).exists()
    assert not SmsDevice.objects.filter(user=doctor).exists()
    assert AuthSession.objects.get(user=doctor).mfa_device == ""
    refusals = AuditEvent.objects.filter(action="accounts.mfa_change_refused", outcome="denied")
    assert refusals.count() == 3
    assert set(refusals.values_list("details__reason", flat=True)) == {"session_not_verified"}


@pytest.mark.asvs("6.3.2", "6.3.3")
def test_an_unverified_web_session_cannot_add_a_factor_to_an_account_that_has_one(client, patient):
    web_login(client, patient.email)  # signed in before the factor existed
    _passkey(patient)  # added since, from another browser
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})

    totp = client.get("/accounts/security/totp/", follow=True)
    sms = client.post("/accounts/security/sms/", {"phone": "+44 7911 123456"}, follow=True)

    assert not TOTPDevice.objects.filter(user=patient).exists()
    assert not SmsDevice.objects.filter(user=patient).exists()
    assert "Confirm it" in totp.content.decode() or "second factor" in totp.content.decode()
    assert re.search(r"second factor", sms.content.decode())


@pytest.mark.asvs("6.3.2")
def test_an_account_without_a_factor_may_enrol_its_first_one_on_its_session(patient):
    api = _api_signed_in(patient)

    setup = api.post("/api/v1/account/mfa/totp", {"password": TEST_PASSWORD}, format="json")

    assert setup.status_code == 200
