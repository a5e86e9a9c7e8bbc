"""Errors: pages in the site layout, API problem details (never HTML, never a traceback)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.urls("tests.hospital.urls_for_errors"), pytest.mark.django_db]

LAYOUT_LANDMARKS = (
    '<header class="site-header">',
    '<nav class="site-nav" aria-label="Main">',
    '<main id="main"',
    "<footer",
)


@pytest.fixture
def quiet_client():
    return Client(raise_request_exception=False)


def _assert_in_layout(response, status: int, title: str) -> None:
    html = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    for landmark in LAYOUT_LANDMARKS:
        assert landmark in html
    assert title in html
    assert response["X-Request-ID"] in html


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/no/such/page/", 404, "Page not found"),
        ("/test/suspicious/", 400, "Bad request"),
        ("/test/forbidden/", 403, "Access denied"),
        ("/test/fail/", 500, "Something went wrong"),
    ],
)
def test_error_pages_use_the_site_layout(quiet_client, path, status, title):
    response = quiet_client.get(path)

    _assert_in_layout(response, status, title)
    assert "secret internals" not in response.content.decode()


def test_a_form_without_csrf_token_gets_a_readable_403_page(db):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "a@b.c", "password": "x"})

    _assert_in_layout(response, 403, "Form expired")


@pytest.mark.parametrize("debug", [False, True])
def test_api_unknown_path_is_json_problem_even_with_debug(client, settings, debug):
    settings.DEBUG = debug

    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "NOT_FOUND"
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("debug", [False, True])
def test_api_crash_is_a_json_500_without_internals(quiet_client, settings, debug):
    settings.DEBUG = debug

    response = quiet_client.get("/api/test/fail/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "SERVER_ERROR"
    assert "secret internals" not in response.content.decode()


def test_api_field_errors_are_listed_per_field(client):
    response = client.post(
        "/api/test/validate/", {"name": "x" * 11, "beds": "many"}, content_type="application/json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_ERROR"
    assert set(body["errors"]) == {"name", "beds"}
    assert "10 characters" in body["errors"]["name"][0]


def test_api_malformed_json_is_a_clear_400(client):
    response = client.post("/api/test/validate/", "{not json", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "PARSE_ERROR"
    assert "JSON" in response.json()["detail"]


def test_api_domain_error_keeps_its_code_and_status(client):
    response = client.post("/api/test/conflict/", {}, content_type="application/json")

    assert response.status_code == 409
    assert response.json()["code"] == "SLOT_TAKEN"
    assert response.json()["detail"] == "That slot was just taken."


def test_api_endpoints_are_closed_by_default(client):
    response = client.get("/api/test/closed/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "NOT_AUTHENTICATED"
    assert "secret" not in response.json()
