"""Twins: one patient's app sends the same booking with the same Idempotency-Key several times
at once (a retry fired before the first answer came). The key is claimed with INSERT ... ON
CONFLICT DO NOTHING: a twin waits on the unique index until the first commits and then
replays its answer. Real threads, a live server, PostgreSQL."""

from __future__ import annotations

import datetime
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from accounts.services import sessions
from appointments.models import Appointment
from audit.models import AuditEvent
from core.models import IdempotencyRecord
from tests.appointments.test_concurrency import _next_monday, threaded_server  # noqa: F401
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

TWINS = 8


def _post(
    url: str, token: str, key: str, payload: dict[str, str], barrier: threading.Barrier
) -> tuple[int, dict, bool]:
    request = urllib.request.Request(  # noqa: S310 - the live test server on loopback
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        },
    )
    barrier.wait(timeout=30)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            replayed = response.headers.get("Idempotent-Replayed") == "true"
            return response.status, json.loads(response.read()), replayed
    except urllib.error.HTTPError as error:
        replayed = error.headers.get("Idempotent-Replayed") == "true"
        return error.code, json.loads(error.read()), replayed


def _clinic():
    department = DepartmentFactory.create()
    consultation = AppointmentTypeFactory.create(department=department)
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    start = datetime.datetime.combine(
        _next_monday(), datetime.time(9), tzinfo=practitioner.zone
    ).astimezone(datetime.UTC)
    return consultation, practitioner, start


def _race(url: str, token: str, key: str, payload: dict[str, str]):
    barrier = threading.Barrier(TWINS)
    with ThreadPoolExecutor(max_workers=TWINS) as pool:
        return list(
            pool.map(
                lambda _n: _post(f"{url}/api/v1/appointments", token, key, payload, barrier),
                range(TWINS),
            )
        )


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_twins_with_one_key_book_once_and_the_others_replay_it(threaded_server):  # noqa: F811
    assert connection.vendor == "postgresql"
    consultation, practitioner, start = _clinic()
    patient = PatientProfileFactory.create().user
    token = sessions.api_session_start(user=patient, request=None).access_token
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }

    results = _race(threaded_server, token, "twin-booking-key-1", payload)

    assert [status for status, _body, _replayed in results] == [201] * TWINS
    assert sum(1 for _status, _body, replayed in results if not replayed) == 1
    assert len({json.dumps(body, sort_keys=True) for _status, body, _replayed in results}) == 1
    assert Appointment.objects.filter(patient=patient).count() == 1
    assert (
        AuditEvent.objects.filter(action="appointments.booked", patient_id=patient.pk).count() == 1
    )
    assert IdempotencyRecord.objects.get(key="twin-booking-key-1").response_status == 201


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db(transaction=True)
def test_twins_refused_get_one_stored_refusal(threaded_server):  # noqa: F811
    consultation, practitioner, start = _clinic()
    first, patient = (PatientProfileFactory.create().user for _ in range(2))
    Appointment.objects.create(
        patient=first,
        practitioner=practitioner,
        appointment_type=consultation,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        blocked_until=start + datetime.timedelta(minutes=30),
        channel="web",
    )
    token = sessions.api_session_start(user=patient, request=None).access_token
    payload = {
        "appointment_type": str(consultation.public_id),
        "practitioner": str(practitioner.public_id),
        "start": start.isoformat(),
    }

    results = _race(threaded_server, token, "twin-refusal-key-1", payload)

    assert [status for status, _body, _replayed in results] == [409] * TWINS
    assert {body["code"] for _status, body, _replayed in results} == {"SLOT_TAKEN"}
    assert sum(1 for _status, _body, replayed in results if not replayed) == 1
    assert not Appointment.objects.filter(patient=patient).exists()
    assert IdempotencyRecord.objects.get(key="twin-refusal-key-1").response_status == 409
