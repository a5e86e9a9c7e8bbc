"""Booking throughput over HTTP: 32 concurrent clients against the production WSGI server
(granian, 2 workers) on PostgreSQL. Every answer must be 201 or 409; no double booking."""

from __future__ import annotations

import datetime
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 32
DURATION_SECONDS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "warning",
        "RATE_LIMITS_ENABLED": "false",
        "DATABASE_POOL_MAX_SIZE": "20",
    }
    server = subprocess.Popen(  # noqa: S603 - our own server on loopback
        [
            str(ROOT / ".venv/bin/granian"),
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--blocking-threads",
            "16",
            "hospital.wsgi:application",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("granian did not start")


def run() -> dict[str, object]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import sessions
    from appointments.models import AppointmentType
    from appointments.selectors.schedules import practitioners_for
    from appointments.selectors.slots import free_slots

    appointment_type = AppointmentType.objects.get(name="Consultation", department__code="bench")
    practitioners = list(
        practitioners_for(
            department_id=appointment_type.department_id, appointment_type=appointment_type
        )
    )
    today = timezone.localdate()
    candidates = [
        (str(slot.practitioner.public_id), slot.start.isoformat())
        for slot in free_slots(
            appointment_type=appointment_type,
            practitioners=practitioners,
            date_from=today + datetime.timedelta(days=1),
            date_to=today + datetime.timedelta(days=14),
            now=timezone.now(),
        )
    ]
    # A new patient per request: a patient already booked at that time is refused (400, the
    # patient's own overlap), which is not what this measures.
    patients = User.objects.bulk_create(
        [
            User(email=f"client{n}@bench.test", full_name=f"Client {n}", role="patient")
            for n in range(4000)
        ]
    )
    tokens = [
        sessions.api_session_start(user=patient, request=None).access_token for patient in patients
    ]
    next_token = iter(tokens).__next__
    port = _free_port()
    server = _start_server(port)
    url = f"http://127.0.0.1:{port}/api/v1/appointments"
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + DURATION_SECONDS
    rng = random.Random(7)  # noqa: S311

    def client(number: int) -> None:
        local_rng = random.Random(rng.random() + number)  # noqa: S311
        while time.monotonic() < stop_at:
            practitioner, start = local_rng.choice(candidates)
            with lock:
                try:
                    token = next_token()
                except StopIteration:
                    return
            body = json.dumps(
                {
                    "appointment_type": str(appointment_type.public_id),
                    "practitioner": practitioner,
                    "start": start,
                }
            ).encode()
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with lock:
                statuses[status] += 1
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    server.terminate()
    server.wait(timeout=30)

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM appointments_appointment a JOIN appointments_appointment b
              ON a.practitioner_id = b.practitioner_id AND a.id < b.id
             AND a.status IN ('held','booked','checked_in','in_progress','completed')
             AND b.status IN ('held','booked','checked_in','in_progress','completed')
             AND tstzrange(a.start, a.blocked_until) && tstzrange(b.start, b.blocked_until)
            """
        )
        double_bookings = cursor.fetchone()[0]
    latencies.sort()
    total = sum(statuses.values())
    return {
        "clients": CLIENTS,
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "bookings": statuses[201],
        "bookings_per_second": round(statuses[201] / elapsed, 1),
        "conflicts_409": statuses[409],
        "other_statuses": {str(k): v for k, v in statuses.items() if k not in (201, 409)},
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1),
        "double_bookings": double_bookings,
    }


if __name__ == "__main__":
    sys.exit("Run through bench/run.py")
