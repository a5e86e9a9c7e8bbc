"""Asking for the password again (before deactivation, an email change, changing factors,
new recovery codes, a password change): one service with a per-account limit and an audit
row for every failure, on the API, the pages and allauth's reauthentication page alike."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import ratelimits
from audit.models import AuditEvent
from tests.conftest import login_verified, web_login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

WRONG = "not my password at all, sorry"
LIMIT = ratelimits.REAUTHENTICATION_FAILURES_PER_ACCOUNT.limit


def _api(user) -> APIClient:
    api = APIClient()
    tokens = api.post(
        "/api/v1/auth/login", {"email": user.email, "password": TEST_PASSWORD}, format="json"
    ).json()["tokens"]
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return api


def _failures(user):
    return AuditEvent.objects.filter(
        action="accounts.reauthentication_failed",
        outcome="failure",
        actor=user,
        target_id=str(user.public_id),
    )


@pytest.mark.asvs("7.5.1", "6.3.1", "16.3.1")
def test_a_stolen_api_token_is_no_password_oracle(patient):
    api = _api(patient)

    wrong = [
        api.post("/api/v1/account/deactivate", {"password": WRONG}, format="json")
        for _ in range(LIMIT)
    ]
    right_but_limited = api.post(
        "/api/v1/account/deactivate", {"password": TEST_PASSWORD}, format="json"
    )

    patient.refresh_from_db()
    assert [r.json()["code"] for r in wrong] == ["REAUTHENTICATION_REQUIRED"] * LIMIT
    assert right_but_limited.status_code == 429
    assert int(right_but_limited["Retry-After"]) > 0
    assert patient.is_active  # nothing was changed
    assert _failures(patient).count() == LIMIT
    assert (
        AuditEvent.objects.filter(
            action="accounts.reauthentication_limited", outcome="denied", actor=patient
        ).count()
        == 1
    )
    assert all(row.details == {"reason": "wrong_password"} for row in _failures(patient))


@pytest.mark.asvs("7.5.1", "6.3.1", "6.3.3", "16.3.1")
def test_the_limit_is_one_per_account_across_the_api_the_pages_and_allauths_page(client, patient):
    api = _api(patient)
    web_login(client, patient.email)

    email = api.post(
        "/api/v1/account/email", {"email": "new@example.org", "password": WRONG}, format="json"
    )
    totp = api.post("/api/v1/account/mfa/totp", {"password": WRONG}, format="json")
    page = client.post("/accounts/deactivate/", {"password": WRONG})
    allauth_page = client.post("/accounts/reauthenticate/", {"password": WRONG})
    change = api.post(
        "/api/v1/account/password",
        {"current_password": WRONG, "new_password": "a brand new passphrase for me"},
        format="json",
    )
    limited_page = client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    limited_api = api.post("/api/v1/account/mfa/totp", {"password": TEST_PASSWORD}, format="json")

    assert (email.status_code, totp.status_code) == (403, 403)
    assert page.status_code == 400
    assert allauth_page.status_code == 200 and allauth_page.context["form"].errors
    assert change.status_code == 400
    assert "current_password" in change.json()["errors"]
    assert limited_page.status_code == 429
    assert "Too many attempts" in limited_page.content.decode()
    assert limited_api.status_code == 429
    assert _failures(patient).count() == 5
    assert not TOTPDevice.objects.filter(user=patient).exists()


@pytest.mark.asvs("7.5.1", "16.3.1")
def test_a_right_password_is_audited_and_lets_the_change_through(client, patient):
    login_verified(client, patient)

    done = client.post("/accounts/deactivate/", {"password": TEST_PASSWORD})

    assert done.status_code == 302
    row = AuditEvent.objects.get(action="accounts.reauthenticated")
    assert (row.actor, row.outcome, row.details) == (patient, "success", {"method": "password"})
    assert not _failures(patient).exists()
