"""The fixed cost every request pays (issue 10): exact queries of requests that need none or
few, no middleware resolving the URL again, and liveness probes answered without the stack
once the stack has answered one (the same bytes, a fresh request id)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import ResolverMatch
from django.urls.resolvers import URLResolver
from rest_framework.test import APIClient

from accounts.services import sessions
from tests.conftest import login_verified

ME = "/api/v1/account/me"
# What differs between two answers to the same request: its id and the moment (never_cache).
PER_REQUEST_HEADERS = {"X-Request-ID", "Expires"}


@pytest.fixture
def url_resolutions(monkeypatch) -> Iterator[list[str]]:
    """The paths the root URL resolver was asked to resolve (Django's own resolver, wrapped;
    the nested resolvers of include() get the rest of the path, without its leading slash)."""
    resolved: list[str] = []
    resolve = URLResolver.resolve

    def counting(self: URLResolver, path: str) -> ResolverMatch:
        if path.startswith("/"):
            resolved.append(path)
        return resolve(self, path)

    monkeypatch.setattr(URLResolver, "resolve", counting)
    yield resolved


def _headers(response: HttpResponseBase) -> dict[str, str]:
    return {name: value for name, value in response.items() if name not in PER_REQUEST_HEADERS}


# --- queries ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_healthz_makes_no_query_first_or_replayed(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        first = client.get("/healthz")
    with django_assert_num_queries(0):
        again = client.get("/healthz")

    assert first.status_code == again.status_code == 200


@pytest.mark.django_db
def test_the_signed_out_home_page_makes_no_query(client, django_assert_num_queries):
    client.get("/")  # rendered once per process

    with django_assert_num_queries(0):
        response = client.get("/")

    assert response.status_code == 200


@pytest.mark.django_db
def test_the_sign_in_page_makes_no_query(client, django_assert_num_queries):
    client.get("/accounts/login/")  # the Site, read once per process

    with django_assert_num_queries(0):
        response = client.get("/accounts/login/")

    assert response.status_code == 200


# --- one URL resolution per request --------------------------------------------------------


@pytest.mark.django_db
def test_an_anonymous_page_resolves_its_url_once(client, url_resolutions):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert url_resolutions == ["/accounts/login/"]


@pytest.mark.django_db
def test_a_signed_in_page_resolves_its_url_once(client, patient, url_resolutions):
    client.force_login(patient)
    client.get("/")
    url_resolutions.clear()

    response = client.get("/")

    assert response.status_code == 200
    assert url_resolutions == ["/"]


@pytest.mark.django_db
def test_a_staff_page_with_a_verified_second_factor_resolves_its_url_once(
    client, doctor, url_resolutions
):
    login_verified(client, doctor)

    response = client.get("/")

    assert response.status_code == 200
    assert url_resolutions == ["/"]


@pytest.mark.django_db
def test_the_api_with_a_bearer_token_resolves_its_url_once(patient, url_resolutions):
    pair = sessions.api_session_start(user=patient, request=None)
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")

    response = api.get(ME)

    assert response.status_code == 200
    assert url_resolutions == [ME]


@pytest.mark.django_db
def test_an_unknown_path_resolves_once(client, url_resolutions):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert url_resolutions == ["/no-such-page/"]


# --- liveness probes ------------------------------------------------------------------------


def test_a_repeated_probe_is_answered_without_the_stack_and_the_same_answer(url_resolutions):
    client = Client()

    first = client.get("/healthz")
    assert url_resolutions == ["/healthz"]  # the whole stack, once
    again = client.get("/healthz")

    assert url_resolutions == ["/healthz"]  # not resolved again: answered before the stack
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert _headers(again) == _headers(first)
    assert again["Content-Security-Policy"] and again["X-Frame-Options"] == "DENY"
    assert again["X-Request-ID"] != first["X-Request-ID"]
    assert "Expires" in again


def test_a_probe_keeps_the_callers_request_id_when_replayed():
    client = Client()
    client.get("/healthz")

    response = client.get("/healthz", headers={"X-Request-ID": "kubelet-probe-0001"})

    assert response["X-Request-ID"] == "kubelet-probe-0001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "sessionid=abcdefgh12345678"},  # a session that may have ended
        {"X-Request-Start": "t=1700000000.000"},  # load shedding decides
        {"Authorization": "Bearer not-kept-as-a-key"},
        {"Accept": "text/html"},  # any other header: another request
    ],
)
def test_a_probe_that_differs_takes_the_whole_stack(headers, url_resolutions):
    client = Client()
    client.get("/healthz")
    url_resolutions.clear()

    client.get("/healthz", headers=headers)

    assert url_resolutions == ["/healthz"]


def test_other_methods_and_paths_are_never_replayed(url_resolutions):
    client = Client()
    client.get("/healthz")
    url_resolutions.clear()

    head = client.head("/healthz")
    query = client.get("/healthz?verbose=1")

    assert head.status_code == 405  # require_GET, as the view says
    assert query.status_code == 200
    assert url_resolutions == ["/healthz", "/healthz"]


def test_a_settings_change_forgets_the_recorded_answer(settings):
    client = Client()
    assert client.get("/healthz").status_code == 200

    settings.ALLOWED_HOSTS = ["hospital.example"]

    assert client.get("/healthz").status_code == 400  # the host check of the whole stack


@pytest.mark.django_db
def test_only_probes_are_replayed(client, url_resolutions):
    with CaptureQueriesContext(connection):
        client.get("/accounts/login/")
        client.get("/accounts/login/")

    assert url_resolutions == ["/accounts/login/", "/accounts/login/"]
