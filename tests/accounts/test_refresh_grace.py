"""The refresh grace window (issue 9, point 10): an app that refreshes from two requests at
once stays signed in; presenting a used refresh token outside the window still ends the
session (reuse detection)."""

from __future__ import annotations

import datetime
import threading

import pytest
import requests
from rest_framework.test import APIClient

from accounts.models import ApiToken, AuthSession
from accounts.models.sessions import token_digest
from accounts.services import refresh_grace
from audit.models import AuditEvent
from tests.factories import TEST_PASSWORD, PatientProfileFactory

pytestmark = pytest.mark.usefixtures("api_responses_match_schema")

REFRESH = "/api/v1/auth/refresh"


def _login(api: APIClient, email: str) -> dict[str, str]:
    response = api.post(
        "/api/v1/auth/login", {"email": email, "password": TEST_PASSWORD}, format="json"
    )
    return response.json()["tokens"]


def _me(access_token: str) -> int:
    return (
        APIClient(HTTP_AUTHORIZATION=f"Bearer {access_token}").get("/api/v1/account/me").status_code
    )


def _refresh(api: APIClient, refresh_token: str):
    return api.post(REFRESH, {"refresh_token": refresh_token}, format="json")


def _pair(body: dict[str, str]) -> tuple[str, ...]:
    return tuple(
        body[name]
        for name in (
            "access_token",
            "refresh_token",
            "access_expires_at",
            "refresh_expires_at",
            "session_id",
        )
    )


def _window_passes(settings) -> None:
    """Move the rotation back past the window (no sleeping in tests)."""
    ApiToken.objects.filter(rotated_at__isnull=False).update(
        rotated_at=datetime.datetime.now(tz=datetime.UTC)
        - datetime.timedelta(seconds=settings.API_REFRESH_GRACE_SECONDS + 1)
    )


@pytest.fixture
def api():
    return APIClient()


@pytest.mark.django_db
def test_the_same_refresh_token_twice_within_the_window_gets_the_same_pair(api, patient):
    tokens = _login(api, patient.email)

    first = _refresh(api, tokens["refresh_token"])
    second = _refresh(api, tokens["refresh_token"])

    assert first.status_code == second.status_code == 200
    assert _pair(first.json()) == _pair(second.json())
    assert _me(first.json()["access_token"]) == 200
    session = AuthSession.objects.get(user=patient)
    assert session.ended_at is None
    assert AuditEvent.objects.filter(action="accounts.refresh_token_replayed").count() == 1
    # The pair handed out twice goes on working: its refresh token rotates as usual.
    onwards = _refresh(api, second.json()["refresh_token"])
    assert onwards.status_code == 200
    assert _me(onwards.json()["access_token"]) == 200


@pytest.mark.django_db
def test_a_replay_whose_access_token_expired_meanwhile_is_not_taken_for_theft(api, patient):
    tokens = _login(api, patient.email)
    first = _refresh(api, tokens["refresh_token"]).json()
    ApiToken.objects.filter(kind=ApiToken.Kind.ACCESS).update(
        expires_at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(seconds=1)
    )

    second = _refresh(api, tokens["refresh_token"])

    assert second.status_code == 200
    assert _pair(second.json()) == _pair(first)
    assert AuthSession.objects.get(user=patient).ended_at is None
    assert _refresh(api, first["refresh_token"]).status_code == 200  # and it refreshes onwards


@pytest.mark.django_db
def test_reuse_after_the_window_revokes_the_family(api, patient, settings):
    tokens = _login(api, patient.email)
    rotated = _refresh(api, tokens["refresh_token"]).json()
    _window_passes(settings)

    reuse = _refresh(api, tokens["refresh_token"])

    assert reuse.status_code == 401
    assert "already used" in reuse.json()["detail"]
    assert _me(rotated["access_token"]) == 401
    assert _refresh(api, rotated["refresh_token"]).status_code == 401
    assert AuthSession.objects.get(user=patient).end_reason == "refresh_reuse"
    assert (
        AuditEvent.objects.filter(action="accounts.refresh_token_reused", outcome="denied").count()
        == 1
    )


@pytest.mark.django_db
def test_reuse_within_the_window_after_the_new_pair_was_refreshed_revokes_the_family(api, patient):
    tokens = _login(api, patient.email)
    rotated = _refresh(api, tokens["refresh_token"]).json()
    onwards = _refresh(api, rotated["refresh_token"]).json()

    reuse = _refresh(api, tokens["refresh_token"])

    assert reuse.status_code == 401
    assert _me(onwards["access_token"]) == 401
    assert AuthSession.objects.get(user=patient).end_reason == "refresh_reuse"


@pytest.mark.django_db
def test_no_replay_after_logout_within_the_window(api, patient):
    tokens = _login(api, patient.email)
    rotated = _refresh(api, tokens["refresh_token"]).json()
    APIClient(HTTP_AUTHORIZATION=f"Bearer {rotated['access_token']}").post("/api/v1/auth/logout")

    again = _refresh(api, tokens["refresh_token"])

    assert again.status_code == 401
    assert AuthSession.objects.get(user=patient).end_reason == "logout"


@pytest.mark.django_db
def test_a_window_of_zero_keeps_strict_rotation(api, patient, settings):
    settings.API_REFRESH_GRACE_SECONDS = 0
    tokens = _login(api, patient.email)
    _refresh(api, tokens["refresh_token"])

    reuse = _refresh(api, tokens["refresh_token"])

    assert reuse.status_code == 401
    assert AuthSession.objects.get(user=patient).end_reason == "refresh_reuse"


@pytest.mark.django_db
def test_the_kept_pair_is_unreadable_without_the_old_refresh_token(api, patient):
    from django.core.cache import cache

    tokens = _login(api, patient.email)
    rotated = _refresh(api, tokens["refresh_token"]).json()

    name = refresh_grace._cache_key(tokens["refresh_token"])
    stored = cache.get(name)

    assert isinstance(stored, str)
    assert rotated["refresh_token"] not in stored
    assert rotated["access_token"] not in stored
    assert token_digest(tokens["refresh_token"]) not in name  # not the database's digest
    assert refresh_grace.grace_pair_of(old_refresh_token="x" * 43) is None
    # Someone holding only the cache entry (not the token) cannot open it.
    cache.set(refresh_grace._cache_key("guess"), stored)
    assert refresh_grace.grace_pair_of(old_refresh_token="guess") is None


@pytest.mark.services("DATABASE_URL")
def test_two_concurrent_refreshes_against_a_live_server_get_the_same_pair(
    live_server, transactional_db
):
    patient = PatientProfileFactory.create().user
    tokens = requests.post(
        f"{live_server.url}/api/v1/auth/login",
        json={"email": patient.email, "password": TEST_PASSWORD},
        timeout=30,
    ).json()["tokens"]
    start = threading.Barrier(2)
    answers: list[requests.Response] = []

    def refresh() -> None:
        start.wait(timeout=30)
        answers.append(
            requests.post(
                f"{live_server.url}{REFRESH}",
                json={"refresh_token": tokens["refresh_token"]},
                timeout=30,
            )
        )

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [answer.status_code for answer in answers] == [200, 200]
    assert _pair(answers[0].json()) == _pair(answers[1].json())
    new = answers[0].json()
    me = requests.get(
        f"{live_server.url}/api/v1/account/me",
        headers={"Authorization": f"Bearer {new['access_token']}"},
        timeout=30,
    )
    assert me.status_code == 200
    onwards = requests.post(
        f"{live_server.url}{REFRESH}", json={"refresh_token": new["refresh_token"]}, timeout=30
    )
    assert onwards.status_code == 200
    assert AuthSession.objects.get(user=patient).ended_at is None
