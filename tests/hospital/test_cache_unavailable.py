"""Redis unreachable where a request cannot do without it (the sign-in rate limits count
there and refuse to go uncounted): 503 with Retry-After, on the API and on pages, never a
500; and nothing is signed in."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import UNREACHABLE_REDIS_CACHE
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.services("REDIS_URL")]

_UNREACHABLE = {"default": UNREACHABLE_REDIS_CACHE}


def test_an_api_sign_in_answers_503_with_retry_after(settings, patient):
    settings.CACHES = _UNREACHABLE
    api = APIClient()

    response = api.post(
        "/api/v1/auth/login", {"email": patient.email, "password": TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "SERVICE_UNAVAILABLE"
    assert "access_token" not in response.json()


def test_a_sign_in_page_answers_503_with_retry_after(settings, patient):
    settings.CACHES = _UNREACHABLE
    browser = Client(raise_request_exception=False)

    response = browser.post("/accounts/login/", {"login": patient.email, "password": TEST_PASSWORD})

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "briefly unavailable" in response.content.decode()
    assert "_auth_user_id" not in browser.session
