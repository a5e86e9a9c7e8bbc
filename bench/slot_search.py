"""Slot search latency: 14 days, a department of 50 practitioners, 100,000 appointments.
The computation itself: the slot cache (if any) is emptied before each search."""

from __future__ import annotations

import datetime
import statistics
import time
from typing import Any


def run(iterations: int = 200, warm_up: int = 10) -> dict[str, Any]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from appointments.models import AppointmentType
    from appointments.selectors.schedules import practitioners_for
    from appointments.selectors.slots import free_slots
    from bench.cpu import slot_cache_clear
    from hospital.runtime import tune_garbage_collector

    appointment_type = AppointmentType.objects.get(name="Consultation", department__code="bench")
    tune_garbage_collector()  # as the WSGI/ASGI entry points do in production
    today = timezone.localdate()
    durations = []
    found = 0
    queries = 0
    for iteration in range(-warm_up, iterations):
        day = today + datetime.timedelta(days=iteration % 3)  # a few windows, like real traffic
        slot_cache_clear()
        # Queries are counted in the warm-up searches only: capturing them costs time.
        counted = CaptureQueriesContext(connection)
        if iteration < 0:
            counted.__enter__()
        started = time.perf_counter()
        practitioners = list(
            practitioners_for(
                department_id=appointment_type.department_id, appointment_type=appointment_type
            )
        )
        slots = free_slots(
            appointment_type=appointment_type,
            practitioners=practitioners,
            date_from=day,
            date_to=day + datetime.timedelta(days=13),
            now=timezone.now(),
        )
        elapsed = time.perf_counter() - started
        if iteration < 0:
            counted.__exit__(None, None, None)
            queries = len(counted.captured_queries)
        if iteration >= 0:  # the first searches warm caches and connections
            durations.append(elapsed * 1000)
        found = len(slots)
    reset_queries()
    durations.sort()
    return {
        "iterations": iterations,
        "slots_found": found,
        "p50_ms": statistics.median(durations),
        "p95_ms": durations[int(len(durations) * 0.95) - 1],
        "p99_ms": durations[int(len(durations) * 0.99) - 1],
        "max_ms": durations[-1],
        "queries": queries,  # of the last warm-up search
        "cache_cleared": True,
        "vendor": connection.vendor,
    }
