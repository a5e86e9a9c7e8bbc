"""Request ids: echoed or generated, returned in the header, on every log line."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest

from core.logging import JsonFormatter
from core.request_id import request_id_from_header

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_log():
    """The configured console handler, writing into a buffer for the test."""
    handler = next(
        h
        for h in logging.getLogger("django").handlers
        if isinstance(h, logging.StreamHandler) and h.get_name() == "console"
    )
    buffer = io.StringIO()
    old_stream = handler.setStream(buffer)
    old_formatter = handler.formatter
    yield handler, buffer
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def test_a_well_formed_incoming_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "mobile-7f3a9c21"})

    assert response["X-Request-ID"] == "mobile-7f3a9c21"


@pytest.mark.parametrize(
    "incoming",
    [
        None,
        "",
        "short",
        "has spaces in it",
        "x" * 200,
        "bad\r\nheader: injected",
        "ünïcode-id-1234",
    ],
)
def test_a_missing_or_malformed_id_is_replaced(client, incoming):
    headers = {"X-Request-ID": incoming} if incoming is not None else {}

    response = client.get("/healthz", headers=headers)

    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_every_request_gets_a_different_id(client):
    ids = {client.get("/healthz")["X-Request-ID"] for _ in range(5)}

    assert len(ids) == 5


def test_generation_rules():
    assert request_id_from_header("abcd1234") == "abcd1234"
    assert request_id_from_header("-startsbad") != "-startsbad"


def test_text_log_lines_carry_the_request_id(client, console_log):
    _handler, buffer = console_log

    response = client.get("/no/such/page/", headers={"X-Request-ID": "trace-0001-abcd"})

    assert response.status_code == 404
    lines = [line for line in buffer.getvalue().splitlines() if line]
    assert lines, "the 404 should have been logged"
    assert all("[trace-0001-abcd]" in line for line in lines)


def test_json_log_lines_carry_the_request_id(client, console_log):
    handler, buffer = console_log
    handler.setFormatter(JsonFormatter())

    client.get("/no/such/page/", headers={"X-Request-ID": "trace-0002-abcd"})

    entries = [json.loads(line) for line in buffer.getvalue().splitlines() if line]
    assert entries
    assert {entry["request_id"] for entry in entries} == {"trace-0002-abcd"}
    assert entries[0]["message"] == "Not Found: /no/such/page/"


def test_application_log_lines_inside_a_request_carry_its_id(client, settings, console_log):
    _handler, buffer = console_log
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 1},
        }
    }

    client.get("/readyz", headers={"X-Request-ID": "trace-0003-abcd"})

    readiness_lines = [line for line in buffer.getvalue().splitlines() if "readiness check" in line]
    assert readiness_lines
    assert all("[trace-0003-abcd]" in line for line in readiness_lines)
