"""Booking throughput over HTTP: 32 concurrent clients against the production WSGI server
(granian, 2 workers) on PostgreSQL. Every answer must be 201 or 409; no double booking."""

from __future__ import annotations

import datetime
import itertools
import json
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

from bench.server import Server

CLIENTS = 32
DURATION_SECONDS = 20
PATIENTS = 4000


def run(*, seconds: int = DURATION_SECONDS, clients_made: int = PATIENTS) -> dict[str, object]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import sessions
    from appointments.models import AppointmentType
    from appointments.selectors.schedules import practitioners_for
    from appointments.selectors.slots import free_slots
    from bench.cpu import slot_cache_clear

    appointment_type = AppointmentType.objects.get(name="Consultation", department__code="bench")
    practitioners = list(
        practitioners_for(
            department_id=appointment_type.department_id, appointment_type=appointment_type
        )
    )
    today = timezone.localdate()
    slot_cache_clear()  # computed here, not read from what the earlier servers cached
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
    # Mostly a new patient per request (a patient already booked at that time is refused
    # with 409 PATIENT_OVERLAP, which is not what this measures); past `clients_made` requests the
    # patients come round again. The run's stamp keeps the addresses new on a reused database.
    stamp = int(time.time())
    patients = User.objects.bulk_create(
        [
            User(email=f"client{stamp}-{n}@bench.test", full_name=f"Client {n}", role="patient")
            for n in range(clients_made)
        ]
    )
    tokens = [
        sessions.api_session_start(user=patient, request=None).access_token for patient in patients
    ]
    next_token = itertools.cycle(tokens).__next__
    server = Server().__enter__()
    url = f"{server.url}/api/v1/appointments"
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    rng = random.Random(7)  # noqa: S311

    def client(number: int) -> None:
        local_rng = random.Random(rng.random() + number)  # noqa: S311
        while time.monotonic() < stop_at:
            practitioner, start = local_rng.choice(candidates)
            with lock:
                token = next_token()
            body = json.dumps(
                {
                    "appointment_type": str(appointment_type.public_id),
                    "practitioner": practitioner,
                    "start": start,
                }
            ).encode()
            request = urllib.request.Request(  # noqa: S310 - our own server
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
    server.stop()

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
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "double_bookings": double_bookings,
    }


if __name__ == "__main__":
    sys.exit("Run through bench/run.py")
