"""Knowing an email must not let anyone keep its owner out, at the password or the second
factor. Limits are per address and per account+address; failures on the account from
anywhere only ask for the proof-of-work challenge; after 100 consecutive failures
(NIST SP 800-63B 5.2.2) the account locks until its owner opens the link we email them."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from audit.models import AuditEvent
from core import challenge
from tests.conftest import totp_code
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

WRONG = "a long but wrong passphrase"
ATTACKER = "203.0.113.9"
OWNER = "198.51.100.7"


BITS = 2  # cheap challenges: these tests count attempts, not the work each one costs


@pytest.fixture(autouse=True)
def _cheap_challenges(settings):
    settings.LOGIN_CHALLENGE_DIFFICULTY_BITS = BITS
    _API.cookies.clear()  # the shared client carries nothing from one test to the next


_API = APIClient()  # one client (building one loads the middleware); the address per request


class _From:
    """Requests from one address."""

    def __init__(self, ip: str) -> None:
        self.ip = ip

    def post(self, path, data, **kwargs):
        return _API.post(path, data, REMOTE_ADDR=self.ip, **kwargs)


def _client(ip: str) -> _From:
    return _From(ip)


def _login(api, email, password, **extra):
    return api.post(
        "/api/v1/auth/login", {"email": email, "password": password, **extra}, format="json"
    )


def _with_challenge(send, response):
    """Answer CHALLENGE_REQUIRED as a client does: solve it and send the request again."""
    if response.status_code == 400 and response.json().get("code") == "CHALLENGE_REQUIRED":
        issued = response.json()["challenge"]
        return send(
            challenge_token=issued["token"],
            challenge_nonce=challenge.solve(issued["token"], issued["difficulty_bits"]),
        )
    return response


def _owner_login(email, ip=OWNER):
    api = _client(ip)

    def send(**extra):
        return _login(api, email, TEST_PASSWORD, **extra)

    return _with_challenge(send, send())


@pytest.mark.asvs("6.1.1", "6.3.1")
def test_fifty_wrong_passwords_from_one_address_do_not_keep_the_owner_out(patient):
    attacker = _client(ATTACKER)

    attempts = [_login(attacker, patient.email, WRONG).status_code for _ in range(50)]
    owner = _owner_login(patient.email)

    assert set(attempts) <= {400, 429}
    assert attempts[-1] == 429  # the attacker's address is slowed down on this account
    assert owner.status_code == 200
    assert owner.json()["status"] == "authenticated"


@pytest.mark.asvs("6.1.1", "6.3.1")
def test_fifty_wrong_passwords_do_not_keep_the_owner_out_of_the_sign_in_page(client, patient):
    attacker = _client(ATTACKER)
    for _ in range(50):
        _login(attacker, patient.email, WRONG)
    client.defaults["REMOTE_ADDR"] = OWNER

    asked = client.post("/accounts/login/", {"login": patient.email, "password": TEST_PASSWORD})
    token = asked.context["form"].challenge["token"]
    signed_in = client.post(
        "/accounts/login/",
        {
            "login": patient.email,
            "password": TEST_PASSWORD,
            "challenge_token": token,
            "challenge_nonce": challenge.solve(token, BITS),
        },
    )

    assert asked.status_code == 200
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "/start/"


@pytest.mark.asvs("6.1.1", "6.3.1")
def test_one_address_is_limited_per_account_even_with_the_right_password(patient):
    attacker = _client(ATTACKER)

    def send(**extra):
        return _login(attacker, patient.email, WRONG, **extra)

    for _ in range(10):
        _with_challenge(send, send())
    same_address_right_password = _login(attacker, patient.email, TEST_PASSWORD)

    assert same_address_right_password.status_code == 429
    assert int(same_address_right_password["Retry-After"]) > 0


def _fail_from_many_addresses(email, count, *, first_address=1):
    """``count`` wrong passwords on one account, each from its own address, challenge solved."""
    for n in range(first_address, first_address + count):
        api = _client(f"10.0.{n // 250}.{n % 250 + 1}")

        def send(api=api, **extra):
            return _login(api, email, WRONG, **extra)

        response = _with_challenge(send, send())
        assert response.json()["code"] in {"INVALID_CREDENTIALS", "ACCOUNT_LOCKED"}, response.json()


@pytest.mark.asvs("6.1.1", "6.3.1", "16.3.1", "16.3.3")
def test_a_hundred_consecutive_failures_lock_the_account_until_its_owner_unlocks_it(
    client, patient, mailoutbox, django_capture_on_commit_callbacks
):
    _fail_from_many_addresses(patient.email, 99)
    not_yet = _owner_login(patient.email)  # 99 failures: the owner still gets in, and resets
    _fail_from_many_addresses(patient.email, 99, first_address=200)
    with django_capture_on_commit_callbacks(execute=True):
        _fail_from_many_addresses(patient.email, 1, first_address=400)

    locked = _owner_login(patient.email)
    link = re.search(r"https?://[^/\s]+(/accounts/unlock/[^\s]+/)", mailoutbox[-1].body).group(1)
    confirm_page = client.get(link)
    unlocked = client.post(link)
    again = client.post(link)
    after = _owner_login(patient.email)

    assert not_yet.json()["status"] == "authenticated"
    assert locked.status_code == 403
    assert locked.json()["code"] == "ACCOUNT_LOCKED"
    assert mailoutbox[-1].to == [patient.email]
    assert confirm_page.status_code == 200
    assert unlocked.status_code == 302
    assert again.status_code == 400  # the link works once
    assert after.json()["status"] == "authenticated"
    lock_row = AuditEvent.objects.get(action="accounts.login_locked")
    assert (lock_row.outcome, lock_row.target_id) == ("denied", str(patient.public_id))
    assert lock_row.details == {"factor": "password", "failures": 100}
    assert AuditEvent.objects.filter(
        action="accounts.login_refused", outcome="denied", details__reason="locked"
    ).exists()
    unlock_row = AuditEvent.objects.get(action="accounts.login_unlocked")
    assert (unlock_row.actor, unlock_row.details) == (patient, {"via": "email_link"})


@pytest.mark.asvs("6.3.1", "6.3.8")
def test_an_unknown_email_locks_alike_and_nobody_is_emailed(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _fail_from_many_addresses("nobody@example.org", 100)

    response = _owner_login("nobody@example.org")

    assert response.json()["code"] == "ACCOUNT_LOCKED"
    assert mailoutbox == []


@pytest.mark.asvs("6.3.1")
def test_a_password_reset_also_unlocks_the_account(
    patient, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _fail_from_many_addresses(patient.email, 100)
    api = APIClient()
    api.post("/api/v1/auth/password/reset", {"email": patient.email}, format="json")
    key = re.search(r"/accounts/password/reset/key/([^\s/]+)/", mailoutbox[-1].body).group(1)
    new_password = "a quiet lighthouse keeps watch over winter seas"

    api.post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": new_password}, format="json"
    )
    after = _login(_client(OWNER), patient.email, new_password)

    assert after.json()["status"] == "authenticated"
    assert AuditEvent.objects.filter(
        action="accounts.login_unlocked", details__via="password_reset"
    ).exists()


# --- The second factor ---------------------------------------------------------------------


def _mfa_token(email, ip):
    return _login(_client(ip), email, TEST_PASSWORD).json()["mfa_token"]


def _code_step(ip, mfa_token, code, **extra):
    return _client(ip).post(
        "/api/v1/auth/mfa",
        {"mfa_token": mfa_token, "method": "totp", "code": code, **extra},
        format="json",
    )


@pytest.mark.asvs("6.1.1", "6.3.1", "6.6.3")
def test_fifty_wrong_codes_from_one_address_do_not_keep_the_owner_out(patient):
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    attacker_token = _mfa_token(patient.email, ATTACKER)  # this attacker has the password

    attempts = [_code_step(ATTACKER, attacker_token, f"{n:06d}").status_code for n in range(50)]
    owner_token = _mfa_token(patient.email, OWNER)

    def send(**extra):
        return _code_step(OWNER, owner_token, totp_code(device), **extra)

    owner = _with_challenge(send, send())

    assert attempts[-1] == 429
    assert owner.status_code == 200, owner.json()
    assert owner.json()["status"] == "authenticated"


@pytest.mark.asvs("6.3.1", "6.6.3", "16.3.3")
def test_a_hundred_wrong_codes_lock_the_account(
    patient, mailoutbox, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    mfa_token = _mfa_token(patient.email, OWNER)  # someone with the password, many addresses
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(100):
            ip = f"10.1.{n // 250}.{n % 250 + 1}"

            def send(ip=ip, n=n, **extra):
                return _code_step(ip, mfa_token, f"{(n * 7919) % 10**6:06d}", **extra)

            _with_challenge(send, send())

    locked = _owner_login(patient.email)

    assert locked.json()["code"] == "ACCOUNT_LOCKED"
    assert AuditEvent.objects.get(action="accounts.login_locked").details == {
        "factor": "otp",
        "failures": 100,
    }
    assert mailoutbox[-1].to == [patient.email]


@pytest.mark.asvs("6.3.1", "6.6.3")
def test_the_code_page_asks_for_the_challenge_after_failures(client, patient):
    device = TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    client.post("/accounts/login/", {"login": patient.email, "password": TEST_PASSWORD})
    for n in range(3):
        client.post("/accounts/2fa/verify/", {"method": "totp", "code": f"{n:06d}"})

    asked = client.post("/accounts/2fa/verify/", {"method": "totp", "code": totp_code(device)})
    token = asked.context["form"].challenge["token"]
    passed = client.post(
        "/accounts/2fa/verify/",
        {
            "method": "totp",
            "code": totp_code(device),
            "challenge_token": token,
            "challenge_nonce": challenge.solve(token, BITS),
        },
    )

    html = asked.content.decode()
    assert asked.status_code == 400
    assert "js/challenge.js" in html
    assert passed.status_code == 302
    assert passed["Location"] == "/start/"


@pytest.mark.asvs("6.3.1", "16.3.1")
def test_the_api_unlocks_with_the_key_from_the_emailed_link(
    patient, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from accounts.services import lockout

    who = lockout.signing_in_user(user=patient)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.LOGIN_LOCK_AFTER_FAILURES):
            lockout.attempt_failed(who=who, factor=lockout.Factor.PASSWORD, request=None)
    key = re.search(r"/accounts/unlock/([^\s/]+)/", mailoutbox[-1].body).group(1)
    api = APIClient()

    forged = api.post("/api/v1/auth/unlock", {"key": key[:-2] + "xx"}, format="json")
    unlocked = api.post("/api/v1/auth/unlock", {"key": key}, format="json")
    reused = api.post("/api/v1/auth/unlock", {"key": key}, format="json")

    assert forged.status_code == 400
    assert "key" in forged.json()["errors"]
    assert unlocked.status_code == 200
    assert reused.status_code == 400
    assert _owner_login(patient.email).json()["status"] == "authenticated"
    assert AuditEvent.objects.filter(action="accounts.login_unlocked").count() == 1


@pytest.mark.asvs("6.6.3")
def test_confirming_a_new_phone_is_limited_like_a_sign_in_code(
    patient, django_capture_on_commit_callbacks
):
    from accounts import ratelimits

    api = APIClient()
    tokens = _login(api, patient.email, TEST_PASSWORD).json()["tokens"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    with django_capture_on_commit_callbacks(execute=True):
        api.post(
            "/api/v1/account/mfa/sms",
            {"phone": "+44 7911 123456", "password": TEST_PASSWORD},
            format="json",
        )

    statuses = [
        api.post("/api/v1/account/mfa/sms/confirm", {"code": f"{n:06d}"}, format="json").status_code
        for n in range(ratelimits.OTP_PER_ACCOUNT_AND_IP.limit + 1)
    ]

    assert set(statuses[:-1]) == {400}
    assert statuses[-1] == 429


@pytest.mark.asvs("6.3.1")
def test_a_lock_survives_a_flushed_cache(patient, settings, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from accounts.services import lockout

    who = lockout.signing_in_user(user=patient)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.LOGIN_LOCK_AFTER_FAILURES):
            lockout.attempt_failed(who=who, factor=lockout.Factor.PASSWORD, request=None)
    cache.clear()  # Redis restarted without persistence, or flushed by an operator

    refused = _owner_login(patient.email)

    assert refused.status_code == 403
    assert refused.json()["code"] == "ACCOUNT_LOCKED"
    assert AuditEvent.objects.filter(
        action="accounts.login_refused", details__reason="locked"
    ).exists()


@pytest.mark.asvs("6.4.3")
def test_a_password_reset_does_not_skip_the_second_factor(
    patient, mailoutbox, django_capture_on_commit_callbacks
):
    TOTPDevice.objects.create(user=patient, name="Authenticator app", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        _fail_from_many_addresses(patient.email, 100)
    api = APIClient()
    api.post("/api/v1/auth/password/reset", {"email": patient.email}, format="json")
    key = re.search(r"/accounts/password/reset/key/([^\s/]+)/", mailoutbox[-1].body).group(1)
    new_password = "a quiet lighthouse keeps watch over winter seas"
    api.post(
        "/api/v1/auth/password/reset/confirm", {"key": key, "password": new_password}, format="json"
    )

    after = _login(_client(OWNER), patient.email, new_password).json()

    assert after["status"] == "mfa_required"
    assert "tokens" not in after
