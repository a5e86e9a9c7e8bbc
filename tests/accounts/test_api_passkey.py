"""Passkey-only accounts on the API: the password alone never yields tokens; a WebAuthn
assertion (what the mobile platforms' passkey APIs return) finishes the sign-in."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import AuthSession
from audit.models import AuditEvent
from tests.accounts.passkey_authenticator import SoftPasskey
from tests.factories import TEST_PASSWORD, StaffProfileFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

ORIGIN = "https://hospital.example"


@pytest.fixture(autouse=True)
def _relying_party(settings):
    settings.OTP_WEBAUTHN_RP_ID = "hospital.example"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [ORIGIN]


@pytest.fixture
def passkey():
    return SoftPasskey(rp_id="hospital.example", origin=ORIGIN)


def _login(api, user):
    return api.post(
        "/api/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    )


def _begin(api, mfa_token):
    return api.post("/api/v1/auth/mfa/passkey/begin", {"mfa_token": mfa_token}, format="json")


def _finish(api, mfa_token, credential):
    return api.post(
        "/api/v1/auth/mfa",
        {"mfa_token": mfa_token, "method": "passkey", "credential": credential},
        format="json",
    )


@pytest.mark.asvs("6.3.2", "6.3.3")
def test_a_passkey_only_patient_gets_no_tokens_for_the_password_alone(patient, passkey):
    passkey.register(patient)
    api = APIClient()

    response = _login(api, patient)

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "mfa_required"
    assert body["methods"] == ["passkey"]
    assert "tokens" not in body
    assert not AuthSession.objects.filter(user=patient).exists()


@pytest.mark.asvs("6.3.2", "6.3.3", "8.2.1")
def test_a_passkey_only_admin_gets_no_tokens_for_the_password_alone(passkey):
    admin = StaffProfileFactory.create(user=UserFactory.create(role="admin")).user
    passkey.register(admin)

    body = _login(APIClient(), admin).json()

    assert body["status"] == "mfa_required"
    assert "tokens" not in body


@pytest.mark.asvs("6.3.2", "6.3.3", "16.3.1")
def test_a_passkey_assertion_finishes_the_api_sign_in(patient, passkey):
    credential = passkey.register(patient)
    api = APIClient()
    mfa_token = _login(api, patient).json()["mfa_token"]

    begun = _begin(api, mfa_token)
    options = begun.json()
    finished = _finish(api, mfa_token, passkey.assertion(options))

    assert begun.status_code == 200
    assert options["rpId"] == "hospital.example"
    assert [c["id"] for c in options["allowCredentials"]] == [passkey.assertion(options)["id"]]
    assert finished.status_code == 200
    tokens = finished.json()["tokens"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    assert api.get("/api/v1/account/me").status_code == 200
    session = AuthSession.objects.get(user=patient)
    assert session.mfa_device == credential.persistent_id
    assert AuditEvent.objects.filter(
        action="accounts.mfa_verified", actor=patient, details__method="passkey"
    ).exists()
    assert AuditEvent.objects.get(action="accounts.login", actor=patient).details == {
        "factors": ["password", "passkey"]
    }


@pytest.mark.asvs("6.3.2", "6.5.1", "16.3.1")
def test_a_wrong_or_replayed_passkey_assertion_is_refused_and_audited(patient, passkey):
    passkey.register(patient)
    api = APIClient()
    mfa_token = _login(api, patient).json()["mfa_token"]
    options = _begin(api, mfa_token).json()
    stale = passkey.assertion({**options, "challenge": "c29tZXRoaW5nLWVsc2U"})

    wrong = _finish(api, mfa_token, stale)
    no_challenge = _finish(api, mfa_token, passkey.assertion(options))  # the challenge was used
    options = _begin(api, mfa_token).json()
    other_origin = _finish(
        api, mfa_token, passkey.assertion(options, origin="https://evil.example")
    )

    assert (wrong.status_code, wrong.json()["code"]) == (400, "INVALID_PASSKEY")
    assert (no_challenge.status_code, no_challenge.json()["code"]) == (400, "INVALID_PASSKEY")
    assert other_origin.json()["code"] == "INVALID_PASSKEY"
    assert not AuthSession.objects.filter(user=patient).exists()
    assert (
        AuditEvent.objects.filter(
            action="accounts.mfa_failed", outcome="failure", details__method="passkey"
        ).count()
        == 3
    )


@pytest.mark.asvs("6.3.2", "8.2.2")
def test_another_accounts_passkey_does_not_finish_this_sign_in(patient, passkey):
    passkey.register(patient)
    stranger = UserFactory.create()
    strangers_key = SoftPasskey(rp_id="hospital.example", origin=ORIGIN)
    strangers_key.register(stranger)
    api = APIClient()
    mfa_token = _login(api, patient).json()["mfa_token"]
    options = _begin(api, mfa_token).json()

    response = _finish(api, mfa_token, strangers_key.assertion(options))

    assert response.json()["code"] == "INVALID_PASSKEY"
    assert not AuthSession.objects.exists()


def test_passkey_input_errors_are_field_errors(patient, passkey):
    passkey.register(patient)
    api = APIClient()
    mfa_token = _login(api, patient).json()["mfa_token"]

    missing = api.post(
        "/api/v1/auth/mfa", {"mfa_token": mfa_token, "method": "passkey"}, format="json"
    )
    not_an_object = _finish(api, mfa_token, "just a string")
    forged = _begin(api, "forged")

    assert missing.status_code == 400
    assert "credential" in missing.json()["errors"]
    assert not_an_object.status_code == 400
    assert "credential" in not_an_object.json()["errors"]
    assert (forged.status_code, forged.json()["code"]) == (401, "INVALID_TOKEN")
