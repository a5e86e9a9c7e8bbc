"""Load shedding by queue time (core.queue_time): a request the reverse proxy stamped
(``X-Request-Start``) longer than REQUEST_QUEUE_TIMEOUT ago answers 503 with Retry-After before
any work: no query, no session; the stamp's common formats; no stamp, garbage or a stamp
from the future shed nothing; 0 turns it off.

tests/hospital/test_overload.py runs it against granian under more requests than it can serve.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from core.queue_time import IMPLAUSIBLE_WAIT_SECONDS, queue_seconds, request_start
from tests.hospital.run_manage import run_manage

pytestmark = pytest.mark.django_db

TIMEOUT = 2.0
API = "/api/v1/account/me"
PAGE = "/appointments/"


@pytest.fixture(autouse=True)
def _timeout(settings: Any) -> None:
    settings.REQUEST_QUEUE_TIMEOUT = TIMEOUT


@pytest.fixture
def patient_client(patient) -> Client:
    client = Client()
    client.force_login(patient)
    return client


def _nginx(seconds: float) -> str:
    return f"t={seconds:.3f}"  # proxy_set_header X-Request-Start "t=${msec}";


def _stamp_ago(seconds: float) -> str:
    return _nginx(time.time() - seconds)


def _shed_total() -> float:
    return REGISTRY.get_sample_value("hospital_requests_shed_total") or 0.0


# Each format, the instant 1,700,000,000.25 s after the epoch (14 November 2023).
INSTANT = 1_700_000_000.25
FORMATS = {
    "nginx t=<seconds.milliseconds>": ("t=1700000000.250", INSTANT),
    "bare seconds with a fraction": ("1700000000.250", INSTANT),
    "whole seconds": ("t=1700000000", 1_700_000_000.0),
    "HAProxy/Heroku milliseconds": ("t=1700000000250", INSTANT),
    "bare milliseconds": ("1700000000250", INSTANT),
    "Apache t=<microseconds>": ("t=1700000000250000", INSTANT),
    "nanoseconds": ("t=1700000000250000000", INSTANT),
    "spaces around": ("  t=1700000000.25 ", INSTANT),
}
GARBAGE = [
    "",
    "t=",
    "soon",
    "t=abc",
    "t=-1700000000",
    "t=1.7e9",
    "t=1_700_000_000",
    "t=inf",
    "nan",
    "t=1700000000.25.1",
    "t=1700000000, t=1700000001",
    "0x1700000000",
    "t=" + "9" * 30,
]


@pytest.mark.parametrize("value, expected", FORMATS.values(), ids=list(FORMATS))
def test_each_stamp_format_names_its_instant(value, expected):
    assert request_start(value) == pytest.approx(expected, abs=1e-6)
    assert queue_seconds(value, INSTANT + 3.0) == pytest.approx(3.0 + INSTANT - expected, abs=1e-6)


@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_is_no_stamp(value):
    assert request_start(value) is None
    assert queue_seconds(value, INSTANT) is None


def test_a_stamp_from_the_future_is_no_wait_and_an_implausibly_old_one_is_ignored():
    assert queue_seconds("t=1700000010.000", INSTANT) == 0.0
    assert queue_seconds("t=0", INSTANT) is None  # 1970, or a proxy sending nonsense
    old = INSTANT - IMPLAUSIBLE_WAIT_SECONDS - 1
    assert queue_seconds(f"t={old:.3f}", INSTANT) is None


def test_an_api_call_that_waited_too_long_answers_503_without_a_query(
    patient_client, django_assert_num_queries
):
    before = _shed_total()
    with django_assert_num_queries(0):
        response = patient_client.get(API, HTTP_X_REQUEST_START=_stamp_ago(TIMEOUT + 3))

    body = json.loads(response.content)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert int(response["Retry-After"]) > 0
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["status"] == 503
    assert len(response["X-Request-ID"]) >= 8
    assert "Set-Cookie" not in response.headers  # the session was never loaded
    assert _shed_total() == before + 1


def test_a_page_that_waited_too_long_answers_a_readable_503_without_a_query(
    patient_client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = patient_client.get(PAGE, HTTP_X_REQUEST_START=_stamp_ago(TIMEOUT + 3))

    html = response.content.decode()
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert int(response["Retry-After"]) > 0
    assert "Service unavailable" in html
    assert response["X-Request-ID"] in html
    assert "Sign in" in html  # rendered for nobody: the user was not loaded
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_shed_request_is_counted_in_the_latency_metrics_under_its_route(
    patient_client,
):
    labels = {"route": "/api/v1/account/me", "method": "GET", "status": "5xx"}
    name = "hospital_http_request_duration_seconds_count"
    before = REGISTRY.get_sample_value(name, labels) or 0.0

    patient_client.get(API, HTTP_X_REQUEST_START=_stamp_ago(TIMEOUT + 3))

    assert REGISTRY.get_sample_value(name, labels) == before + 1


@pytest.mark.parametrize(
    "stamp",
    [lambda: _stamp_ago(0), lambda: "t=" + "9" * 19],  # now; nanoseconds in the year 2286
    ids=["now", "future"],
)
def test_a_fresh_stamp_or_one_from_the_future_is_served(patient_client, stamp):
    before = _shed_total()

    api = patient_client.get(API, HTTP_X_REQUEST_START=stamp())
    page = patient_client.get(PAGE, HTTP_X_REQUEST_START=stamp())

    assert api.status_code == 200, api.content[:300]
    assert page.status_code == 200
    assert _shed_total() == before


def test_a_wait_just_under_the_timeout_is_served(patient_client):
    response = patient_client.get(API, HTTP_X_REQUEST_START=_stamp_ago(TIMEOUT - 1))

    assert response.status_code == 200


@pytest.mark.parametrize("name", list(FORMATS)[:-1])
def test_each_format_of_an_old_stamp_is_shed(patient_client, name):
    """The same instant (TIMEOUT + 5 s ago) written in each format: refused."""
    then = time.time() - TIMEOUT - 5
    value = {
        "nginx t=<seconds.milliseconds>": f"t={then:.3f}",
        "bare seconds with a fraction": f"{then:.3f}",
        "whole seconds": f"t={int(then)}",
        "HAProxy/Heroku milliseconds": f"t={int(then * 1e3)}",
        "bare milliseconds": f"{int(then * 1e3)}",
        "Apache t=<microseconds>": f"t={int(then * 1e6)}",
        "nanoseconds": f"t={int(then * 1e6)}000",
    }[name]

    response = patient_client.get(API, HTTP_X_REQUEST_START=value)

    assert response.status_code == 503
    assert response["Retry-After"]


@pytest.mark.parametrize("value", [*GARBAGE, "t=0", "t=1000"])
def test_a_garbage_stamp_is_ignored(patient_client, value):
    before = _shed_total()

    response = patient_client.get(API, HTTP_X_REQUEST_START=value)

    assert response.status_code == 200
    assert _shed_total() == before


def test_no_stamp_no_shedding(patient_client):
    assert patient_client.get(API).status_code == 200
    assert patient_client.get(PAGE).status_code == 200


def test_zero_turns_shedding_off(patient_client, settings):
    settings.REQUEST_QUEUE_TIMEOUT = 0
    before = _shed_total()

    response = patient_client.get(API, HTTP_X_REQUEST_START=_stamp_ago(3600 - 60))

    assert response.status_code == 200
    assert _shed_total() == before


def test_shedding_logs_one_warning_line_per_interval_not_per_request(patient_client, caplog):
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            patient_client.get(API, HTTP_X_REQUEST_START=_stamp_ago(TIMEOUT + 3))

    lines = [r for r in caplog.records if r.name == "core.queue_time"]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert "REQUEST_QUEUE_TIMEOUT" in lines[0].getMessage()
    assert lines[0].levelno == logging.WARNING
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_setting_comes_from_the_environment(tmp_path):
    code = "from django.conf import settings as s; print(repr(s.REQUEST_QUEUE_TIMEOUT))"

    def read(value: str | None) -> str:
        env = {} if value is None else {"REQUEST_QUEUE_TIMEOUT": value}
        result = run_manage("shell", "-c", code, env=env, tmp_var=tmp_path)
        return (result.stdout + result.stderr).strip().splitlines()[-1]

    assert read(None) == "2.0"
    assert read("0.5") == "0.5"
    assert "REQUEST_QUEUE_TIMEOUT" in read("soon")
    assert "REQUEST_QUEUE_TIMEOUT" in read("-1")
