"""50 clients race for one slot over HTTP against real PostgreSQL: exactly one wins."""

from __future__ import annotations

import datetime
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connection
from django.test.testcases import LiveServerThread, _StaticFilesHandler

from accounts.services import sessions
from appointments.models import Appointment
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

CLIENTS = 50


class _WideBacklogServer(ThreadedWSGIServer):
    # The default listen backlog (5) resets most of 50 simultaneous connections before
    # Django sees them; production servers queue far more.
    request_queue_size = 256


class _ServerThread(LiveServerThread):
    server_class = _WideBacklogServer


@pytest.fixture
def threaded_server():
    """A live server (a thread per request) that accepts 50 connections at once."""
    thread = _ServerThread("localhost", _StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait(timeout=10)
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()


def _next_monday(days_ahead: int = 7) -> datetime.date:
    today = datetime.datetime.now(tz=datetime.UTC).date() + datetime.timedelta(days=days_ahead)
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7)


def _post(
    url: str, token: str, payload: dict[str, str], barrier: threading.Barrier
) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_fifty_clients_book_the_same_slot_and_exactly_one_succeeds(threaded_server):
    assert connection.vendor == "postgresql"
    department = DepartmentFactory.create()
    consultation = AppointmentTypeFactory.create(department=department)
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    monday = _next_monday()
    start = datetime.datetime.combine(
        monday, datetime.time(9), tzinfo=practitioner.zone
    ).astimezone(datetime.UTC)
    tokens = [
        sessions.api_session_start(
            user=PatientProfileFactory.create().user, request=None
        ).access_token
        for _ in range(CLIENTS)
    ]
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }
    barrier = threading.Barrier(CLIENTS)

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(
            pool.map(
                lambda token: _post(
                    f"{threaded_server}/api/v1/appointments", token, payload, barrier
                ),
                tokens,
            )
        )

    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1
    assert statuses.count(409) == CLIENTS - 1
    assert {body["code"] for status, body in results if status == 409} <= {"SLOT_TAKEN"}
    assert Appointment.objects.filter(practitioner=practitioner, start=start).count() == 1
