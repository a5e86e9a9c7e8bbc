"""Abuse resistance: rate limits per IP and per account+IP (429 with Retry-After), the
proof-of-work challenge after repeated failures, and the counters living in the shared cache."""

from __future__ import annotations

import pytest
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import ratelimits
from audit.models import AuditEvent
from core import challenge
from tests.conftest import web_login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

WRONG = "a long but wrong passphrase"


def _api_login(api, email, password, **extra):
    return api.post(
        "/api/v1/auth/login", {"email": email, "password": password, **extra}, format="json"
    )


def test_api_brute_force_on_one_account_from_one_address_reaches_429_with_retry_after(
    patient, settings
):
    settings.LOGIN_CHALLENGE_DIFFICULTY_BITS = 8
    api = APIClient()
    limit = ratelimits.LOGIN_PER_ACCOUNT_AND_IP.limit

    statuses = [
        _api_login(api, patient.email, WRONG, **_solved(patient.email)).status_code
        for _ in range(limit)
    ]
    blocked = _api_login(api, patient.email, TEST_PASSWORD)

    assert set(statuses) == {400}
    assert blocked.status_code == 429
    assert blocked.json()["code"] == "RATE_LIMITED"
    assert 0 < int(blocked["Retry-After"]) <= ratelimits.LOGIN_PER_ACCOUNT_AND_IP.period


def test_web_brute_force_from_one_ip_gets_a_clear_429_page(client):
    import datetime

    import time_machine

    limit = ratelimits.LOGIN_PER_IP.limit

    # The clock stands still mid-minute: a slow run must not cross into the next window.
    with time_machine.travel(datetime.datetime(2026, 3, 2, 9, 0, 30, tzinfo=datetime.UTC)):
        for n in range(limit):
            web_login(client, f"someone{n}@example.org", WRONG)
        blocked = web_login(client, "another@example.org", WRONG)

    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    html = blocked.content.decode()
    assert "Too many attempts" in html
    assert '<main id="main"' in html


def _solved(email: str) -> dict[str, str]:
    """A solved challenge, so the failures count against the per-account limit, not the challenge."""
    issued = challenge.issue(subject=email, bits=settings.LOGIN_CHALLENGE_DIFFICULTY_BITS)
    return {
        "challenge_token": issued["token"],
        "challenge_nonce": challenge.solve(issued["token"], issued["difficulty_bits"]),
    }


def test_after_repeated_failures_the_account_needs_a_solved_challenge_not_a_lock(patient, settings):
    settings.LOGIN_CHALLENGE_DIFFICULTY_BITS = 8
    api = APIClient()
    for _ in range(settings.LOGIN_CHALLENGE_AFTER_FAILURES):
        _api_login(api, patient.email, WRONG)

    asked = _api_login(api, patient.email, TEST_PASSWORD)
    issued = asked.json()["challenge"]
    nonce = challenge.solve(issued["token"], issued["difficulty_bits"])
    wrong_nonce = _api_login(
        api, patient.email, TEST_PASSWORD, challenge_token=issued["token"], challenge_nonce="x"
    )
    solved = _api_login(
        api, patient.email, TEST_PASSWORD, challenge_token=issued["token"], challenge_nonce=nonce
    )
    replayed = _api_login(
        api, patient.email, WRONG, challenge_token=issued["token"], challenge_nonce=nonce
    )

    assert asked.status_code == 400
    assert asked.json()["code"] == "CHALLENGE_REQUIRED"
    assert issued["algorithm"] == "sha256-leading-zero-bits"
    assert wrong_nonce.json()["code"] == "CHALLENGE_REQUIRED"
    assert solved.status_code == 200  # the real user gets in: no lock-out
    assert solved.json()["status"] == "authenticated"
    assert replayed.status_code == 400
    assert AuditEvent.objects.filter(action="accounts.login_challenged", outcome="denied").exists()


def test_a_challenge_is_bound_to_its_account(patient, settings):
    settings.LOGIN_CHALLENGE_DIFFICULTY_BITS = 8
    api = APIClient()
    for _ in range(settings.LOGIN_CHALLENGE_AFTER_FAILURES):
        _api_login(api, patient.email, WRONG)
    other = challenge.issue(subject="someone.else@example.org", bits=8)

    response = _api_login(
        api,
        patient.email,
        TEST_PASSWORD,
        challenge_token=other["token"],
        challenge_nonce=challenge.solve(other["token"], 8),
    )

    assert response.json()["code"] == "CHALLENGE_REQUIRED"


def test_the_web_login_shows_the_challenge_and_its_script(client, patient, settings):
    settings.LOGIN_CHALLENGE_DIFFICULTY_BITS = 8
    for _ in range(settings.LOGIN_CHALLENGE_AFTER_FAILURES):
        web_login(client, patient.email, WRONG)

    page = web_login(client, patient.email)
    token = page.context["form"].challenge["token"]
    solved = client.post(
        "/accounts/login/",
        {
            "login": patient.email,
            "password": TEST_PASSWORD,
            "challenge_token": token,
            "challenge_nonce": challenge.solve(token, 8),
        },
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "js/challenge.js" in html
    assert f'value="{token}"' in html
    assert 'data-difficulty-bits="8"' in html
    assert solved.status_code == 302


def test_otp_guessing_is_rate_limited(client, patient):
    TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    web_login(client, patient.email)

    statuses = [
        client.post("/accounts/2fa/verify/", {"method": "totp", "code": f"{n:06d}"}).status_code
        for n in range(ratelimits.OTP_PER_ACCOUNT_AND_IP.limit + 1)
    ]

    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {400}


def test_recovery_code_guessing_has_its_own_tighter_limit(patient):
    api = APIClient()
    TOTPDevice.objects.create(user=patient, name="App", confirmed=True)
    mfa_token = _api_login(api, patient.email, TEST_PASSWORD).json()["mfa_token"]

    statuses = [
        api.post(
            "/api/v1/auth/mfa",
            {"mfa_token": mfa_token, "method": "recovery", "code": f"guess-{n}"},
            format="json",
        ).status_code
        for n in range(ratelimits.RECOVERY_CODE_PER_ACCOUNT_AND_IP.limit + 1)
    ]

    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {400}


def test_signup_and_password_reset_are_rate_limited_per_ip():
    api = APIClient()
    payload = {
        "password": "a quiet lighthouse keeps watch",
        "legal_name": "A Person",
        "date_of_birth": "1990-01-01",
    }

    signups = [
        api.post(
            "/api/v1/auth/signup", {**payload, "email": f"p{n}@example.org"}, format="json"
        ).status_code
        for n in range(ratelimits.SIGNUP_PER_IP.limit + 1)
    ]
    resets = [
        api.post(
            "/api/v1/auth/password/reset", {"email": "same@example.org"}, format="json"
        ).status_code
        for _ in range(ratelimits.PASSWORD_RESET_PER_ACCOUNT.limit + 1)
    ]

    assert signups[-1] == 429
    assert set(signups[:-1]) == {202}
    assert resets[-1] == 429


@pytest.mark.services("REDIS_URL")
def test_the_counters_live_in_redis_so_every_worker_shares_them(patient):
    import redis

    api = APIClient()
    _api_login(api, patient.email, WRONG)

    keys = redis.Redis.from_url(settings.REDIS_URL).keys("*rl:login:account-ip:*")

    assert str(settings.CACHES["default"]["BACKEND"]).endswith("RedisCache")
    assert len(keys) == 1
    assert patient.email.encode() not in keys[0]  # no emails in Redis key names
