"""Multi-factor authentication on the web: enrolment, the login step, replay, drift,
recovery codes, SMS, staff enforcement and the admin."""

from __future__ import annotations

import re

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.errors import InvalidOtp
from accounts.models import AuthSession, RecoveryCode, RecoveryCodeDevice, SmsDevice
from accounts.selectors.mfa import device_public_id
from accounts.services import mfa, mfa_verification, sessions
from audit.models import AuditEvent
from tests.conftest import login_verified, totp_code, web_login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]


@pytest.fixture
def patient_with_totp(patient):
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    codes = mfa.recovery_codes_generate(user=patient)
    return patient, device, codes


def _reauthenticate(client):
    client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})


def test_totp_enrolment_shows_a_qr_code_and_confirms_with_a_code(client, patient):
    web_login(client, patient.email)
    _reauthenticate(client)

    page = client.get("/accounts/security/totp/")
    secret = re.search(r'data-testid="totp-secret"[^>]*>([A-Z2-7]+)<', page.content.decode()).group(
        1
    )
    device = TOTPDevice.objects.get(user=patient, confirmed=False)
    wrong = client.post("/accounts/security/totp/", {"code": "000000"})
    right = client.post("/accounts/security/totp/", {"code": totp_code(device)})

    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    assert len(secret) == 32
    assert wrong.status_code == 400
    assert "did not match" in wrong.content.decode()
    assert right.status_code == 200
    assert len(right.context["codes"]) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert (
        AuditEvent.objects.filter(action="accounts.mfa_enrolled", details__method="totp").count()
        == 1
    )
    # The codes are stored only as hashes.
    stored = set(RecoveryCode.objects.values_list("digest", flat=True))
    assert not stored & set(right.context["codes"])
    assert len(stored) == 10


def test_managing_factors_needs_a_recent_password(client, patient):
    web_login(client, patient.email)
    session = client.session
    session["account_authentication_methods"] = []  # as if the sign-in was long ago
    session.save()

    response = client.get("/accounts/security/totp/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


def test_login_with_mfa_asks_for_the_code_before_signing_in(client, patient_with_totp):
    patient, device, _ = patient_with_totp

    password_step = web_login(client, patient.email)
    before_code = client.get("/accounts/")
    code_step = client.post("/accounts/2fa/verify/", {"method": "totp", "code": totp_code(device)})

    assert password_step["Location"] == "/accounts/2fa/verify/"
    assert before_code.status_code == 302  # still signed out
    assert code_step["Location"] == "/start/"
    assert client.get("/accounts/").status_code == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert AuthSession.objects.get(user=patient).mfa_device == device.persistent_id
    login_row = AuditEvent.objects.get(action="accounts.login")
    assert login_row.details == {"factors": ["password", "totp"]}


def test_a_totp_code_is_accepted_once_only(client, patient_with_totp):
    patient, device, _ = patient_with_totp
    code = totp_code(device)
    web_login(client, patient.email)
    client.post("/accounts/2fa/verify/", {"method": "totp", "code": code})
    client.post("/accounts/logout/")

    web_login(client, patient.email)
    replay = client.post("/accounts/2fa/verify/", {"method": "totp", "code": code})

    assert replay.status_code == 400
    assert "not valid" in replay.content.decode()
    assert client.get("/accounts/").status_code == 302
    assert AuditEvent.objects.filter(action="accounts.mfa_failed").count() == 1


@pytest.mark.parametrize(("steps", "accepted"), [(-1, True), (1, True), (-2, False), (2, False)])
def test_one_step_of_clock_drift_is_tolerated(patient_with_totp, steps, accepted):
    patient, device, _ = patient_with_totp

    if accepted:
        assert (
            mfa_verification.otp_verify(
                user=patient, method="totp", code=totp_code(device, steps_ahead=steps)
            )
            == device
        )
    else:
        with pytest.raises(InvalidOtp):
            mfa_verification.otp_verify(
                user=patient, method="totp", code=totp_code(device, steps_ahead=steps)
            )


def test_a_recovery_code_works_once(client, patient_with_totp):
    patient, _, codes = patient_with_totp

    web_login(client, patient.email)
    first = client.post("/accounts/2fa/verify/", {"method": "recovery", "code": codes[0]})
    client.post("/accounts/logout/")
    web_login(client, patient.email)
    again = client.post("/accounts/2fa/verify/", {"method": "recovery", "code": codes[0]})

    assert first["Location"] == "/start/"
    assert again.status_code == 400
    assert RecoveryCodeDevice.objects.get(user=patient).remaining == 9
    assert AuditEvent.objects.filter(action="accounts.recovery_code_used").count() == 1


def test_regenerated_recovery_codes_replace_the_old_ones(patient_with_totp):
    patient, _, old_codes = patient_with_totp

    new_codes = mfa.recovery_codes_generate(user=patient)

    assert mfa_verification.otp_verify(user=patient, method="recovery", code=new_codes[1])
    with pytest.raises(InvalidOtp):
        mfa_verification.otp_verify(user=patient, method="recovery", code=old_codes[1])
    assert not set(old_codes) & set(new_codes)


def test_sms_enrolment_and_sms_login(
    client, patient, sms_outbox, django_capture_on_commit_callbacks
):
    web_login(client, patient.email)
    _reauthenticate(client)

    bad_phone = client.post("/accounts/security/sms/", {"phone": "12345"})
    with django_capture_on_commit_callbacks(execute=True):  # the SMS leaves after commit
        sent = client.post("/accounts/security/sms/", {"phone": "+44 7911 123456"})
    code = re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)
    confirmed = client.post("/accounts/security/sms/", {"code": code})
    client.post("/accounts/logout/")
    web_login(client, patient.email)
    asked = client.post("/accounts/2fa/verify/", {"send_sms": "1"})
    login_code = re.search(r"\b(\d{6})\b", sms_outbox[-1].body).group(1)
    signed_in = client.post("/accounts/2fa/verify/", {"method": "sms", "code": login_code})

    assert bad_phone.status_code == 400
    assert "valid phone number" in bad_phone.content.decode()
    assert sent.status_code == 200
    assert sms_outbox[0].to == "+447911123456"
    assert confirmed["Location"] == "/accounts/security/"
    assert SmsDevice.objects.get(user=patient).confirmed
    assert asked.status_code == 200
    assert len(sms_outbox) == 2
    assert signed_in["Location"] == "/start/"


def test_staff_without_a_factor_reach_only_enrolment(client, doctor):
    response = web_login(client, doctor.email)
    dashboard = client.get("/accounts/")
    security = client.get("/accounts/security/")
    api = client.get("/api/v1/account/me")

    assert response["Location"] == "/start/"
    assert dashboard.status_code == 302
    assert dashboard["Location"] == "/accounts/security/"
    assert security.status_code == 200
    assert "must set up a second factor" in security.content.decode()
    assert api.status_code == 403
    assert api.json()["code"] == "MFA_ENROLMENT_REQUIRED"


def test_staff_reach_their_pages_after_enrolling(client, doctor):
    web_login(client, doctor.email)
    _reauthenticate(client)
    client.get("/accounts/security/totp/")
    device = TOTPDevice.objects.get(user=doctor, confirmed=False)
    key_before = client.session.session_key

    client.post("/accounts/security/totp/", {"code": totp_code(device)})

    assert client.session.session_key != key_before  # a privilege change rotates the id
    assert AuthSession.objects.get(user=doctor).session_key == client.session.session_key
    assert client.get("/accounts/").status_code == 200
    assert client.get("/api/v1/account/me").status_code == 200


def test_staff_cannot_remove_their_last_factor(client, doctor):
    device = login_verified(client, doctor)
    _reauthenticate(client)

    response = client.post(
        "/accounts/security/remove/", {"device_id": device_public_id(device=device)}, follow=True
    )

    assert "must keep at least one" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


def test_a_patient_can_remove_a_factor_and_its_recovery_codes_go_with_it(client, patient_with_totp):
    patient, device, _ = patient_with_totp
    login_verified(client, patient)
    _reauthenticate(client)

    client.post("/accounts/security/remove/", {"device_id": device_public_id(device=device)})

    assert not TOTPDevice.objects.filter(user=patient).exists()
    assert not RecoveryCodeDevice.objects.filter(user=patient).exists()
    assert AuditEvent.objects.filter(action="accounts.mfa_removed", details__method="totp").exists()


def test_the_admin_refuses_a_session_without_otp(client, admin_user):
    TOTPDevice.objects.create(user=admin_user, name="App", confirmed=True)
    client.force_login(admin_user)  # password only: no second factor in this session

    response = client.get("/admin/")

    assert response.status_code == 302
    assert "/accounts/security/" not in response["Location"]
    assert client.get("/admin/accounts/user/").status_code == 302


def test_the_admin_refuses_staff_whose_role_has_no_admin_access(client, doctor):
    login_verified(client, doctor)

    response = client.get("/admin/")

    assert response.status_code in (302, 403)
    assert client.get("/admin/accounts/user/").status_code in (302, 403)


def test_registering_a_passkey_needs_a_recent_password(client, patient):
    web_login(client, patient.email)
    session = client.session
    session["account_authentication_methods"] = []  # as if the sign-in was long ago
    session.save()

    begin = client.post("/accounts/security/passkey/begin/", content_type="application/json")
    complete = client.post(
        "/accounts/security/passkey/complete/", {}, content_type="application/json"
    )

    assert begin.status_code == complete.status_code == 302
    assert begin["Location"].startswith("/accounts/reauthenticate/")


def test_the_passkey_login_step_refuses_without_a_pending_login(client):
    response = client.post("/accounts/2fa/passkey/begin/", content_type="application/json")

    assert response.status_code in (400, 403)
    assert "allowCredentials" not in response.content.decode()


@pytest.mark.asvs("8.2.2", "14.2.1")
def test_devices_are_named_without_database_keys(client, patient_with_totp):
    patient, device, _ = patient_with_totp
    login_verified(client, patient)
    page = client.get("/accounts/security/").content.decode()
    pair = sessions.api_session_start(user=patient, request=None, mfa_device=device.persistent_id)
    listed = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}").get("/api/v1/account/mfa")

    ids = [row["id"] for row in listed.json()]
    assert device_public_id(device=device) in ids
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert device.persistent_id not in page and f"/{device.pk}" not in listed.content.decode()
