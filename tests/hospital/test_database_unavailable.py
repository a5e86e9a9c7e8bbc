"""A database that cannot be reached answers 503 with Retry-After, on pages and the API, signed
in; error pages render without the database.

Every query of the request fails here through Django's own instrumentation hook
(``connection.execute_wrapper``), as it does when PostgreSQL is down or the pool times out;
tests/hospital/test_database_faults.py does the same against a real server and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client
from zeal import zeal_ignore

from tests.conftest import login_verified

pytestmark = pytest.mark.django_db


def _database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server failed: Connection refused")


@pytest.fixture
def database_down() -> Iterator[None]:
    with connection.execute_wrapper(_database_down):
        yield


@pytest.fixture
def patient_client(patient) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(patient)
    client.get("/accounts/")  # the session is in use, as a browser's would be
    return client


@pytest.fixture
def clinician_client(doctor) -> Client:
    client = Client(raise_request_exception=False)
    login_verified(client, doctor)
    return client


@pytest.mark.services("REDIS_URL")  # the session and the user come from Redis
def test_the_home_page_needs_no_database(patient_client, database_down):
    """Signed in, the user and session come from the cache: the home page still answers,
    with the signed-in navigation."""
    response = patient_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Sign out" in html
    assert 'href="/appointments/"' in html


@pytest.mark.parametrize("path", ["/appointments/", "/accounts/", "/accounts/security/"])
def test_signed_in_pages_answer_a_readable_503(patient_client, database_down, path):
    response = patient_client.get(path)

    html = response.content.decode()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response["Content-Type"].startswith("text/html")
    assert "Service unavailable" in html
    assert '<nav class="site-nav" aria-label="Main">' in html
    assert response["X-Request-ID"] in html


@pytest.mark.parametrize("path", ["/appointments/schedule/", "/accounts/"])
def test_a_clinicians_pages_answer_a_readable_503(clinician_client, database_down, path):
    response = clinician_client.get(path)

    assert response.status_code == 503
    assert "Service unavailable" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/account/me", "/api/v1/appointments"])
def test_api_calls_answer_a_service_unavailable_problem(
    patient_client, clinician_client, database_down, path
):
    for client in (patient_client, clinician_client):
        response = client.get(path)

        body = json.loads(response.content)
        assert response.status_code == 503
        assert response["Content-Type"] == "application/problem+json"
        assert int(response["Retry-After"]) > 0
        assert body["code"] == "SERVICE_UNAVAILABLE"
        assert body["status"] == 503
        assert body["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InterfaceError("connection already closed"), 503),
        (OperationalError("couldn't get a connection after 5.00 sec"), 503),  # pool timeout
        (ProgrammingError('relation "x" does not exist'), 500),  # a bug stays a bug
    ],
)
@pytest.mark.off_contract("a deliberate bug answers 500, which no operation documents")
def test_only_an_unreachable_database_is_a_503(patient_client, error, status):
    def fail(execute, sql, params, many, context):
        raise error

    # Every read fails, so a request reads its session again wherever it is needed (the
    # middleware, then the error page's navigation): not an N+1.
    with connection.execute_wrapper(fail), zeal_ignore():
        page = patient_client.get("/accounts/")
        api = patient_client.get("/api/v1/account/me")

    assert page.status_code == api.status_code == status
    assert page.content
    assert api.json()["code"] == ("SERVICE_UNAVAILABLE" if status == 503 else "SERVER_ERROR")
    assert ("Retry-After" in page) is (status == 503)


def test_readiness_names_the_database(client, database_down):
    response = client.get("/readyz")

    database = response.json()["checks"]["database"]
    assert response.status_code == 503
    assert database["ok"] is False
    assert database["backend"] == connection.vendor
    assert database["error"] == "OperationalError"


def test_a_404_for_a_signed_in_user_keeps_the_signed_in_navigation(patient_client):
    response = patient_client.get("/no/such/page/")

    assert response.status_code == 404
    assert "Sign out" in response.content.decode()


def test_the_page_works_again_when_the_database_is_back(patient_client):
    with connection.execute_wrapper(_database_down):
        assert patient_client.get("/accounts/").status_code == 503

    response = patient_client.get("/accounts/")

    assert response.status_code == 200
