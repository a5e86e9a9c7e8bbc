"""A cancellation reaches the waitlist through RabbitMQ and a real Celery worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appointments.models import Appointment, WaitlistEntry
from appointments.services import booking
from hospital.celery import app
from tests.appointments.conftest import a_booking_with_a_patient_waiting
from tests.database_roles import child_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process(settings):
    """`celery -A hospital worker` in a child process, on the test database and the real broker."""
    environment = {
        **child_environment(os.environ),
        "DATABASE_POOL_MIN_SIZE": "0",
    }
    worker = subprocess.Popen(  # noqa: S603 - our own worker command
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hospital",
            "worker",
            "--pool",
            "solo",
            "-l",
            "warning",
            "-n",
            f"test-worker-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=1.0):
        if worker.poll() is not None or time.monotonic() > deadline:
            output = worker.stdout.read() if worker.stdout else ""
            worker.kill()
            pytest.fail(f"The Celery worker did not start:\n{output[-3000:]}")
    yield worker
    worker.terminate()
    worker.wait(timeout=30)


@pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL")
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_offers_the_time_to_the_waitlist_through_a_real_worker(
    celery_worker_process,
):
    patient, appointment, waiting = a_booking_with_a_patient_waiting()

    booking.appointment_cancel(actor=patient, appointment=appointment)
    deadline = time.monotonic() + 30
    while not Appointment.objects.filter(status="held").exists() and time.monotonic() < deadline:
        time.sleep(0.2)

    hold = Appointment.objects.get(status="held")
    assert hold.patient == waiting
    assert hold.start == appointment.start
    assert WaitlistEntry.objects.get(patient=waiting).status == "offered"
