"""The idle sign-out warning's server side: every signed-in page says how long its session
lasts without activity, and "Stay signed in" (POST keep-alive) restarts that count."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine

from tests.conftest import login_verified, web_login

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
KEEP_ALIVE = "/accounts/sessions/keep-alive/"


def _seconds_left(html: str) -> int:
    found = re.search(r'data-idle-seconds-left="(\d+)"', html)
    assert found, "the page carries the session's time left"
    return int(found.group(1))


def test_a_patients_page_says_thirty_minutes_and_carries_the_warning(client, patient):
    with time_machine.travel(START, tick=False):
        web_login(client, patient.email)
        html = client.get("/appointments/").content.decode()

    assert _seconds_left(html) == 30 * 60
    assert f'data-keep-alive-url="{KEEP_ALIVE}"' in html
    assert '<dialog class="dialog" id="idle-warning"' in html
    assert "Stay signed in" in html


def test_a_clinicians_page_says_fifteen_minutes(client, doctor):
    with time_machine.travel(START, tick=False):
        login_verified(client, doctor)
        html = client.get("/accounts/").content.decode()

    assert _seconds_left(html) == 15 * 60


def test_signed_out_pages_carry_no_warning(client):
    html = client.get("/").content.decode()

    assert "data-idle-seconds-left" not in html
    assert "idle-warning" not in html


def test_the_count_runs_from_the_recorded_activity(client, patient):
    with time_machine.travel(START, tick=False) as clock:
        web_login(client, patient.email)
        client.get("/appointments/")
        clock.shift(datetime.timedelta(seconds=30))  # within a minute: nothing new recorded
        html = client.get("/appointments/").content.decode()

    assert _seconds_left(html) == 30 * 60 - 30


def test_stay_signed_in_restarts_the_count_and_keeps_the_session(client, patient):
    with time_machine.travel(START, tick=False) as clock:
        web_login(client, patient.email)
        client.get("/appointments/")
        clock.shift(datetime.timedelta(minutes=29))
        kept = client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")
        clock.shift(datetime.timedelta(minutes=29))  # 58 minutes after the page was opened
        still_in = client.get("/appointments/")

    assert kept.status_code == 200
    assert kept.json() == {"idle_seconds_left": 30 * 60}
    assert still_in.status_code == 200


def test_too_late_to_stay_is_a_401_and_the_session_is_over(client, patient):
    with time_machine.travel(START, tick=False) as clock:
        web_login(client, patient.email)
        client.get("/appointments/")
        clock.shift(datetime.timedelta(minutes=31))
        late = client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")
        after = client.get("/appointments/")

    assert late.status_code == 401
    assert late.json()["code"] == "SESSION_EXPIRED"
    assert after.status_code == 302


def test_keep_alive_is_post_only_and_not_for_the_signed_out(client, patient):
    anonymous = client.post(KEEP_ALIVE, HTTP_ACCEPT="application/json")
    web_login(client, patient.email)
    fetched = client.get(KEEP_ALIVE)

    assert anonymous.status_code in (302, 401)
    assert fetched.status_code == 405
