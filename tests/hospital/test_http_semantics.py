"""HTTP semantics every front door shares (issue 9): a body over the upload limit is a 413,
never a logged 500; cross-origin preflights get a clear refusal, not a 401."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("api_responses_match_schema")]

LIMIT = 2_000
OVERSIZED = "x" * (LIMIT * 2)


@pytest.fixture
def small_upload_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    return LIMIT


@pytest.fixture
def quiet_client():
    return Client(raise_request_exception=False)


def _no_error_logged(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [f"{r.name}: {r.getMessage()}" for r in errors]


def _bearer_client(patient) -> APIClient:
    tokens = (
        APIClient()
        .post(
            "/api/v1/auth/login",
            {"email": patient.email, "password": TEST_PASSWORD},
            format="json",
        )
        .json()["tokens"]
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")


def _assert_413_problem(response) -> None:
    assert response.status_code == 413
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "PAYLOAD_TOO_LARGE"
    assert body["status"] == 413
    assert body["request_id"] == response["X-Request-ID"]
    assert "too large" in body["detail"]


def _assert_413_page(response) -> None:
    html = response.content.decode()
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert "Too much data" in html
    assert '<main id="main"' in html  # the site's layout, not a bare error
    assert response["X-Request-ID"] in html


def test_an_anonymous_api_body_over_the_limit_is_a_413_problem_without_error_log(
    quiet_client, small_upload_limit, caplog
):
    body = '{"email": "someone@example.org", "password": "' + OVERSIZED + '"}'

    with caplog.at_level(logging.INFO):
        response = quiet_client.post("/api/v1/auth/login", body, content_type="application/json")

    _assert_413_problem(response)
    _no_error_logged(caplog)


def test_a_signed_in_api_body_over_the_limit_is_a_413_problem_without_error_log(
    patient, small_upload_limit, caplog
):
    api = _bearer_client(patient)
    api.raise_request_exception = False

    with caplog.at_level(logging.INFO):
        response = api.patch("/api/v1/account/profile", {"address": OVERSIZED}, format="json")

    _assert_413_problem(response)
    _no_error_logged(caplog)


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_an_anonymous_form_over_the_limit_is_a_readable_413_page(
    small_upload_limit, caplog, multipart
):
    # As a browser posts: with the CSRF check on (it reads the form before the view).
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    form = {"login": "someone@example.org", "password": OVERSIZED}

    with caplog.at_level(logging.INFO):
        if multipart:
            response = client.post("/accounts/login/", form)
        else:
            response = client.post(
                "/accounts/login/",
                "&".join(f"{k}={v}" for k, v in form.items()),
                content_type="application/x-www-form-urlencoded",
            )

    _assert_413_page(response)
    _no_error_logged(caplog)


def test_a_signed_in_form_over_the_limit_is_a_readable_413_page(
    patient, small_upload_limit, caplog
):
    client = Client(raise_request_exception=False)
    client.force_login(patient)

    with caplog.at_level(logging.INFO):
        response = client.post("/accounts/profile/", {"address": OVERSIZED})

    _assert_413_page(response)
    assert "Sign in" not in response.content.decode().split('<main id="main"')[1][:400]
    _no_error_logged(caplog)


def test_a_body_within_the_limit_still_reaches_the_view(quiet_client, small_upload_limit):
    response = quiet_client.post(
        "/api/v1/auth/login",
        {"email": "someone@example.org", "password": "x" * 100},
        content_type="application/json",
    )

    assert response.status_code == 400  # the login's own answer: no such account


# --- CORS ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/appointments", "/api/v1/auth/login", "/api/v1/account/me", "/accounts/"]
)
def test_a_cross_origin_preflight_is_refused_clearly_not_with_a_401(client, path):
    response = client.options(
        path,
        HTTP_ORIGIN="https://elsewhere.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "CORS_NOT_ALLOWED"
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert "WWW-Authenticate" not in response
    assert "Origin" in response["Vary"]


def test_no_api_answer_grants_cross_origin_access(patient):
    api = _bearer_client(patient)

    response = api.get("/api/v1/account/me", HTTP_ORIGIN="https://elsewhere.example")

    assert response.status_code == 200  # a browser would keep it from the calling script
    assert not [h for h in response.headers if h.lower().startswith("access-control-")]


def test_options_without_a_foreign_origin_is_not_treated_as_cors(client):
    same_origin = client.options(
        "/api/v1/appointments",
        HTTP_ORIGIN="http://testserver",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    no_origin = client.options("/api/v1/appointments")

    assert same_origin.status_code == 401  # the API's own rules: not signed in
    assert no_origin.status_code == 401


# --- RateLimit fields (IETF draft-ietf-httpapi-ratelimit-headers-09) ------------------------


def _members(field: str) -> dict[str, dict[str, int]]:
    """A structured-field list like '"a";q=5;w=60, "b";q=1;w=3' as {name: {param: value}}."""
    found: dict[str, dict[str, int]] = {}
    for member in field.split(","):
        name, *params = member.strip().split(";")
        found[name.strip('"')] = {k: int(v) for k, v in (p.split("=") for p in params)}
    return found


def test_a_limited_request_says_where_it_stands_and_the_429_when_to_retry(client):
    email = {"email": "nobody@example.org"}
    answers = [
        client.post("/api/v1/auth/password/reset", email, content_type="application/json")
        for _ in range(6)
    ]

    first, last = answers[0], answers[-1]
    assert first.status_code == 202
    policy = _members(first["RateLimit-Policy"])
    assert policy["reset:ip"] == {"q": 20, "w": 3600}
    assert policy["reset:account"] == {"q": 5, "w": 3600}
    standing = _members(first["RateLimit"])
    assert standing["reset:ip"]["r"] == 19
    assert standing["reset:account"]["r"] == 4
    assert 0 < standing["reset:account"]["t"] <= 3600
    assert last.status_code == 429
    assert last.json()["code"] == "RATE_LIMITED"
    assert _members(last["RateLimit"])["reset:account"]["r"] == 0
    assert 0 < int(last["Retry-After"]) <= 3600


def test_a_request_that_counts_against_no_limit_has_no_ratelimit_fields(patient):
    response = _bearer_client(patient).get("/api/v1/account/me")

    assert "RateLimit" not in response
    assert "RateLimit-Policy" not in response


def test_the_schema_documents_the_ratelimit_fields_on_limited_operations(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    login = schema["paths"]["/api/v1/auth/login"]["post"]["responses"]
    me = schema["paths"]["/api/v1/account/me"]["get"]["responses"]

    assert {"RateLimit", "RateLimit-Policy"} <= set(login["200"]["headers"])
    assert login["429"]["headers"]["Retry-After"]["required"] is True
    assert {"RateLimit", "RateLimit-Policy"} <= set(login["429"]["headers"])
    assert "429" not in me
    assert "RateLimit" not in me["200"].get("headers", {})
