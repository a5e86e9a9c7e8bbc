"""Every /api/ response says "do not store" and varies on Authorization: API responses carry
medical data and tokens, and mobile HTTP caches keep GET responses unless told not to
(RFC 6749 requires no-store on token responses)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from accounts.services import sessions
from tests.conftest import web_login
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.asvs("14.3.2")]


def _assert_not_stored(response) -> None:
    assert response["Cache-Control"] == "no-store", response.get("Cache-Control")
    vary = {part.strip().lower() for part in response.get("Vary", "").split(",")}
    assert "authorization" in vary, response.get("Vary")


def test_a_token_response_is_not_stored(patient):
    response = APIClient().post(
        "/api/v1/auth/login", {"email": patient.email, "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert "tokens" in response.json()
    _assert_not_stored(response)


def test_signed_in_reads_and_their_errors_are_not_stored(patient):
    pair = sessions.api_session_start(user=patient, request=None)
    signed_in = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    responses = [
        signed_in.get("/api/v1/account/me"),
        signed_in.get("/api/v1/account/profile"),
        signed_in.get("/api/v1/appointments"),
        signed_in.get("/api/v1/appointments/00000000-0000-4000-8000-000000000000"),
        APIClient().get("/api/v1/account/me"),
        APIClient(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/account/me"),
        Client().get("/api/v1/no-such-endpoint"),
    ]

    assert [r.status_code for r in responses] == [200, 200, 200, 404, 401, 401, 404]
    for response in responses:
        _assert_not_stored(response)


def test_a_session_that_timed_out_on_the_api_is_not_stored(client, patient):
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        web_login(client, patient.email)
        client.get("/api/v1/account/me")
        clock.shift(datetime.timedelta(hours=1))
        response = client.get("/api/v1/account/me")

    assert response.status_code == 401
    _assert_not_stored(response)


def test_pages_keep_their_own_caching(client):
    response = client.get("/accounts/login/")

    assert "authorization" not in response.get("Vary", "").lower()
