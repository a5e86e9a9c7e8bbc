"""The mobile API's sign-in and account endpoints: MFA step, token rotation and revocation,
sign-up, password and email flows, sessions, bad input."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuthSession, User
from accounts.services import mfa
from audit.models import AuditEvent
from tests.conftest import totp_code
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

NEW_PASSWORD = "a quiet lighthouse keeps watch over winter seas"


@pytest.fixture
def api():
    return APIClient()


def _login(api, email, password=TEST_PASSWORD):
    return api.post("/api/v1/auth/login", {"email": email, "password": password}, format="json")


def _bearer(api, tokens):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return api


def test_a_patient_without_mfa_gets_tokens_that_open_the_api(api, patient):
    response = _login(api, patient.email.upper())

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "authenticated"
    assert body["mfa_enrolment_required"] is False
    me = _bearer(api, body["tokens"]).get("/api/v1/account/me")
    assert me.status_code == 200
    assert me.json()["email"] == patient.email
    assert me.json()["role"] == "patient"
    session = AuthSession.objects.get(user=patient)
    assert session.kind == "api"
    assert str(session.public_id) == body["tokens"]["session_id"]
    # Only digests are stored.
    assert not ApiToken.objects.filter(digest=body["tokens"]["access_token"]).exists()


def test_a_password_alone_never_yields_tokens_for_an_account_with_mfa(api, patient):
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    mfa.recovery_codes_generate(user=patient)

    first = _login(api, patient.email)
    body = first.json()
    no_token = api.get("/api/v1/account/me")
    wrong = api.post(
        "/api/v1/auth/mfa",
        {"mfa_token": body["mfa_token"], "method": "totp", "code": "000000"},
        format="json",
    )

    assert first.status_code == 200
    assert body["status"] == "mfa_required"
    assert "tokens" not in body
    assert body["methods"] == ["totp", "recovery"]
    assert no_token.status_code == 401
    assert wrong.status_code == 400
    assert wrong.json()["code"] == "INVALID_OTP"
    assert not AuthSession.objects.filter(user=patient).exists()
    right = api.post(
        "/api/v1/auth/mfa",
        {"mfa_token": body["mfa_token"], "method": "totp", "code": totp_code(device)},
        format="json",
    )
    reused = api.post(
        "/api/v1/auth/mfa",
        {
            "mfa_token": body["mfa_token"],
            "method": "totp",
            "code": totp_code(device, steps_ahead=1),
        },
        format="json",
    )
    assert right.status_code == 200
    assert right.json()["status"] == "authenticated"
    assert AuthSession.objects.get(user=patient).mfa_device == device.persistent_id
    assert reused.status_code == 401
    assert reused.json()["code"] == "INVALID_TOKEN"


def test_a_forged_or_expired_mfa_token_is_refused(api, patient):
    response = api.post(
        "/api/v1/auth/mfa",
        {"mfa_token": "forged:value", "method": "totp", "code": "123456"},
        format="json",
    )

    assert response.status_code == 401
    assert response.json()["code"] == "INVALID_TOKEN"


def test_the_api_login_answers_the_same_for_unknown_emails_and_wrong_passwords(api, patient):
    unknown = _login(api, "nobody@example.org", "some long wrong passphrase")
    wrong = _login(api, patient.email, "some long wrong passphrase")

    assert unknown.status_code == wrong.status_code == 400
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(unknown.json()) == strip(wrong.json())
    assert unknown.json()["code"] == "INVALID_CREDENTIALS"


def test_an_unverified_email_cannot_get_tokens(api, patient, mailoutbox):
    EmailAddress.objects.filter(user=patient).update(verified=False)

    response = _login(api, patient.email)

    assert response.status_code == 403
    assert response.json()["code"] == "EMAIL_NOT_VERIFIED"
    assert len(mailoutbox) == 1
    assert not AuthSession.objects.exists()


def test_staff_without_mfa_get_tokens_that_only_open_enrolment(api, doctor):
    body = _login(api, doctor.email).json()
    _bearer(api, body["tokens"])

    me = api.get("/api/v1/account/me")
    setup = api.post("/api/v1/account/mfa/totp", {"password": TEST_PASSWORD}, format="json")
    device = TOTPDevice.objects.get(user=doctor, confirmed=False)
    confirm = api.post(
        "/api/v1/account/mfa/totp/confirm", {"code": totp_code(device)}, format="json"
    )
    me_after = api.get("/api/v1/account/me")

    assert body["mfa_enrolment_required"] is True
    assert me.status_code == 403
    assert me.json()["code"] == "MFA_ENROLMENT_REQUIRED" or "two-factor" in me.json()["detail"]
    assert setup.status_code == 200
    assert setup.json()["otpauth_url"].startswith("otpauth://totp/")
    assert confirm.status_code == 200
    assert len(confirm.json()["recovery_codes"]) == 10
    assert me_after.status_code == 200


def test_refresh_rotates_and_reusing_an_old_refresh_token_revokes_the_family(
    api, patient, settings
):
    # Strict rotation; the grace window for parallel refreshes is tested in test_refresh_grace.
    settings.API_REFRESH_GRACE_SECONDS = 0
    tokens = _login(api, patient.email).json()["tokens"]

    rotated = api.post(
        "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    new_tokens = rotated.json()
    old_access = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").get(
        "/api/v1/account/me"
    )
    reuse = api.post(
        "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    new_access = APIClient(HTTP_AUTHORIZATION=f"Bearer {new_tokens['access_token']}").get(
        "/api/v1/account/me"
    )
    new_refresh = api.post(
        "/api/v1/auth/refresh", {"refresh_token": new_tokens["refresh_token"]}, format="json"
    )

    assert rotated.status_code == 200
    assert new_tokens["refresh_token"] != tokens["refresh_token"]
    assert old_access.status_code == 401  # the old access token went with the rotation
    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert new_access.status_code == 401  # the whole family is revoked
    assert new_refresh.status_code == 401
    session = AuthSession.objects.get(user=patient)
    assert session.end_reason == "refresh_reuse"
    assert (
        AuditEvent.objects.filter(action="accounts.refresh_token_reused", outcome="denied").count()
        == 1
    )


def test_logout_revokes_the_tokens_of_this_session_only(api, patient):
    first = _login(api, patient.email).json()["tokens"]
    second = _login(APIClient(), patient.email).json()["tokens"]

    out = _bearer(api, first).post("/api/v1/auth/logout")

    assert out.status_code == 204
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {first['access_token']}")
        .get("/api/v1/account/me")
        .status_code
        == 401
    )
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {second['access_token']}")
        .get("/api/v1/account/me")
        .status_code
        == 200
    )


def test_password_change_ends_every_other_session_and_token(api, patient):
    mine = _login(api, patient.email).json()["tokens"]
    other = _login(APIClient(), patient.email).json()["tokens"]

    changed = _bearer(api, mine).post(
        "/api/v1/account/password",
        {"current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert changed.status_code == 200
    assert api.get("/api/v1/account/me").status_code == 200
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {other['access_token']}")
        .get("/api/v1/account/me")
        .status_code
        == 401
    )
    refresh = APIClient().post(
        "/api/v1/auth/refresh", {"refresh_token": other["refresh_token"]}, format="json"
    )
    assert refresh.status_code == 401


def test_password_change_refuses_a_weak_password_with_a_field_error(api, patient):
    tokens = _login(api, patient.email).json()["tokens"]

    response = _bearer(api, tokens).post(
        "/api/v1/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "short one"},
        format="json",
    )

    patient.refresh_from_db()
    assert response.status_code == 400
    assert "password" in response.json()["errors"]
    assert patient.check_password(TEST_PASSWORD)


def test_api_signup_then_verify_then_login(api, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the link leaves after commit
        signup = api.post(
            "/api/v1/auth/signup",
            {
                "email": "mary@example.org",
                "password": NEW_PASSWORD,
                "legal_name": "Mary Seacole",
                "date_of_birth": "1985-11-23",
            },
            format="json",
        )
    key = re.search(r"/accounts/confirm-email/([^\s/]+)/", mailoutbox[0].body).group(1)
    before = _login(api, "mary@example.org", NEW_PASSWORD)
    verified = api.post("/api/v1/auth/email/verify", {"key": key}, format="json")
    after = _login(api, "mary@example.org", NEW_PASSWORD)

    assert signup.status_code == 202
    assert before.status_code == 403
    assert verified.status_code == 200
    assert after.json()["status"] == "authenticated"
    profile = _bearer(api, after.json()["tokens"]).get("/api/v1/account/profile")
    assert profile.json()["legal_name"] == "Mary Seacole"
    assert profile.json()["medical_record_number"].startswith("MRN")


def test_api_signup_answers_the_same_for_a_taken_email(
    api, patient, mailoutbox, django_capture_on_commit_callbacks
):
    payload = {
        "password": NEW_PASSWORD,
        "legal_name": "Someone Else",
        "date_of_birth": "1990-01-01",
    }

    with django_capture_on_commit_callbacks(execute=True):  # both emails leave after commit
        fresh = api.post(
            "/api/v1/auth/signup", {**payload, "email": "fresh@example.org"}, format="json"
        )
        taken = api.post("/api/v1/auth/signup", {**payload, "email": patient.email}, format="json")

    assert fresh.status_code == taken.status_code == 202
    assert fresh.json()["detail"] == taken.json()["detail"]
    assert User.objects.filter(email__iexact=patient.email).count() == 1
    assert len(mailoutbox) == 2


def test_api_password_reset_flow(api, patient, mailoutbox):
    known = api.post("/api/v1/auth/password/reset", {"email": patient.email}, format="json")
    unknown = api.post(
        "/api/v1/auth/password/reset", {"email": "nobody@example.org"}, format="json"
    )
    key = re.search(r"/accounts/password/reset/key/([^\s/]+)/", mailoutbox[0].body).group(1)
    bad = api.post(
        "/api/v1/auth/password/reset/confirm",
        {"key": "1-bogus", "password": NEW_PASSWORD},
        format="json",
    )
    done = api.post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": NEW_PASSWORD}, format="json"
    )

    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert bad.status_code == 400
    assert "key" in bad.json()["errors"]
    assert done.status_code == 200
    assert _login(api, patient.email, NEW_PASSWORD).status_code == 200


def test_sessions_are_listed_and_one_can_be_revoked_but_not_another_users(api, patient):
    mine = _login(api, patient.email).json()["tokens"]
    other_device = _login(APIClient(), patient.email).json()["tokens"]
    stranger = UserFactory.create()
    stranger_session = _login(APIClient(), stranger.email).json()["tokens"]["session_id"]
    _bearer(api, mine)

    listing = api.get("/api/v1/account/sessions")
    foreign = api.delete(f"/api/v1/account/sessions/{stranger_session}")
    revoked = api.delete(f"/api/v1/account/sessions/{other_device['session_id']}")

    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert {row["id"] for row in rows} == {mine["session_id"], other_device["session_id"]}
    assert [row["current"] for row in rows if row["id"] == mine["session_id"]] == [True]
    assert foreign.status_code == 404
    assert revoked.status_code == 204
    assert (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {other_device['access_token']}")
        .get("/api/v1/account/me")
        .status_code
        == 401
    )
    assert AuthSession.objects.get(public_id=stranger_session).ended_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "x"}, "email"),
        ({"email": "a@b.org"}, "password"),
        ({"email": ["a@b.org"], "password": "x"}, "email"),
        ({"email": "a@b.org", "password": 12345}, None),
        ({"email": "a" * 300 + "@b.org", "password": "x"}, "email"),
        ({"email": "a@b.org", "password": "x" * 300}, "password"),
    ],
)
def test_bad_login_input_gets_field_errors(api, payload, field):
    response = api.post("/api/v1/auth/login", payload, format="json")

    assert response.status_code == 400
    if field:
        assert response.json()["code"] == "VALIDATION_ERROR"
        assert field in response.json()["errors"]
    assert not AuthSession.objects.exists()


def test_profile_update_validates_and_changes_nothing_on_error(api, patient):
    tokens = _login(api, patient.email).json()["tokens"]
    _bearer(api, tokens)
    before = api.get("/api/v1/account/profile").json()

    bad_phone = api.patch(
        "/api/v1/account/profile", {"phone": "call me maybe", "city": "Leeds"}, format="json"
    )
    bad_type = api.patch("/api/v1/account/profile", {"date_of_birth": 1985}, format="json")
    good = api.patch(
        "/api/v1/account/profile", {"phone": "+44 20 7946 0958", "city": "Leeds"}, format="json"
    )

    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.json()["errors"]
    assert bad_type.status_code == 400
    assert "date_of_birth" in bad_type.json()["errors"]
    assert good.status_code == 200
    assert good.json()["phone"] == "+442079460958"
    assert good.json()["city"] == "Leeds"
    assert before["city"] == ""
    row = AuditEvent.objects.get(action="accounts.patient_profile_updated")
    assert row.details == {"fields": ["city", "phone"]}
    assert row.patient == patient


def test_the_openapi_schema_documents_the_accounts_api(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/v1/auth/login",
        "/api/v1/auth/mfa",
        "/api/v1/auth/refresh",
        "/api/v1/account/sessions",
    ):
        assert path in schema["paths"]
    login = schema["paths"]["/api/v1/auth/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["examples"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_api_email_change_needs_the_password_and_a_verified_new_address(api, patient, mailoutbox):
    tokens = _login(api, patient.email).json()["tokens"]
    _bearer(api, tokens)
    old_email = patient.email

    wrong_password = api.post(
        "/api/v1/account/email",
        {"email": "new@example.org", "password": "not it at all"},
        format="json",
    )
    malformed = api.post(
        "/api/v1/account/email", {"email": "new@", "password": TEST_PASSWORD}, format="json"
    )
    accepted = api.post(
        "/api/v1/account/email",
        {"email": "new@example.org", "password": TEST_PASSWORD},
        format="json",
    )
    patient.refresh_from_db()
    before_verification = patient.email
    key = re.search(
        r"/accounts/confirm-email/([^\s/]+)/",
        next(m for m in mailoutbox if m.to == ["new@example.org"]).body,
    ).group(1)
    api.post("/api/v1/auth/email/verify", {"key": key}, format="json")
    patient.refresh_from_db()

    assert wrong_password.status_code == 403
    assert wrong_password.json()["code"] == "REAUTHENTICATION_REQUIRED"
    assert malformed.status_code == 400
    assert "email" in malformed.json()["errors"]
    assert accepted.status_code == 202
    assert before_verification == old_email
    assert patient.email == "new@example.org"


def test_api_deactivation(api, patient):
    tokens = _login(api, patient.email).json()["tokens"]
    _bearer(api, tokens)

    refused = api.post("/api/v1/account/deactivate", {"password": "not it at all"}, format="json")
    done = api.post("/api/v1/account/deactivate", {"password": TEST_PASSWORD}, format="json")

    patient.refresh_from_db()
    assert refused.status_code == 403
    assert done.status_code == 204
    assert patient.is_active is False
    assert api.get("/api/v1/account/me").status_code == 401
    assert _login(APIClient(), patient.email).json()["code"] == "INVALID_CREDENTIALS"


def test_api_sms_enrolment_recovery_codes_and_removal(
    api, patient, sms_outbox, django_capture_on_commit_callbacks
):
    tokens = _login(api, patient.email).json()["tokens"]
    _bearer(api, tokens)

    bad_phone = api.post(
        "/api/v1/account/mfa/sms", {"phone": "555", "password": TEST_PASSWORD}, format="json"
    )
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(
            "/api/v1/account/mfa/sms",
            {"phone": "+44 7911 123456", "password": TEST_PASSWORD},
            format="json",
        )
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)
    confirmed = api.post("/api/v1/account/mfa/sms/confirm", {"code": code}, format="json")
    devices = api.get("/api/v1/account/mfa").json()
    regenerated = api.post(
        "/api/v1/account/mfa/recovery-codes", {"password": TEST_PASSWORD}, format="json"
    )
    sms_device = next(d for d in devices if d["method"] == "sms")
    removed = api.post(
        "/api/v1/account/mfa/remove",
        {"device_id": sms_device["id"], "password": TEST_PASSWORD},
        format="json",
    )
    unknown = api.post(
        "/api/v1/account/mfa/remove",
        {"device_id": "accounts.smsdevice/999999", "password": TEST_PASSWORD},
        format="json",
    )

    assert bad_phone.status_code == 400
    assert "phone" in bad_phone.json()["errors"]
    assert sent.status_code == 202
    assert confirmed.status_code == 200
    assert {d["method"] for d in devices} == {"sms", "recovery"}
    assert sms_device["detail"] == "Phone +44••••56"
    assert "+447911123456" not in str(devices)
    assert len(regenerated.json()["recovery_codes"]) == 10
    assert removed.status_code == 204
    assert unknown.status_code == 404
    assert api.get("/api/v1/account/mfa").json() == []


def test_an_idle_api_session_cannot_be_refreshed(api, patient, settings):
    import datetime

    import time_machine

    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        tokens = _login(api, patient.email).json()["tokens"]
        clock.shift(datetime.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT_PATIENT + 60))
        response = api.post(
            "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
        )
        access = APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}").get(
            "/api/v1/account/me"
        )

    assert response.status_code == 401
    assert access.status_code == 401


def test_recovery_codes_without_a_second_factor_are_the_documented_409(api, patient):
    """Issue 9 #14: the schema said 409 and the server answered 404; one code, one status."""
    _bearer(api, _login(api, patient.email).json()["tokens"])

    response = api.post(
        "/api/v1/account/mfa/recovery-codes", {"password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "MFA_NOT_ENABLED"
    assert response["Content-Type"] == "application/problem+json"


def test_the_login_reply_has_the_fields_of_its_status(api, patient):
    body = _login(api, patient.email).json()

    assert set(body) == {"status", "tokens", "mfa_enrolment_required"}
    assert body["status"] == "authenticated"


def test_the_session_list_names_each_device_in_words(patient):
    firefox = APIClient(
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
    )
    tokens = _login(firefox, patient.email).json()["tokens"]
    _bearer(firefox, tokens)

    rows = firefox.get("/api/v1/account/sessions").json()["results"]

    assert [row["device"] for row in rows] == ["Firefox on Linux"]
    assert rows[0]["user_agent"].startswith("Mozilla/5.0 (X11; Linux")
