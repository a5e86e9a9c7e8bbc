"""`make bench`: build the benchmark database, measure, and write docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.setup_data import build, django_setup  # noqa: E402

DATABASE = "hospital_bench"


def _recreate_database() -> None:
    admin_url = os.environ.get(
        "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    import psycopg

    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    postgres = subprocess.run(
        ["psql", "--version"],  # noqa: S607 - the client on PATH, for the report only
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}, {postgres}"


def main() -> None:
    os.environ.setdefault("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")
    _recreate_database()
    django_setup()
    data = build()
    from bench import booking_http, slot_search

    search = slot_search.run()
    booking = booking_http.run()
    report = f"""# Benchmarks

Measured with `make bench` (bench/run.py), which rebuilds the `{DATABASE}` PostgreSQL database,
loads the data and runs both measurements. Not part of the test suite; no timing is asserted in tests.

Machine: {_machine()}.

## Slot search

A department of 50 practitioners (Mon-Fri 08:00-12:00 and 13:00-17:00, 20-minute visits with a
10-minute buffer) and {data["appointments"]:,} existing appointments over the past year and the next
two weeks. One search = the department's practitioners for the type + every free slot over 14 days
(`appointments.selectors.slots.free_slots`, 3 queries + 1 for the practitioners), {search["iterations"]} searches.

| measure | value | goal |
| --- | --- | --- |
| slots found per search | {search["slots_found"]:,} | |
| p50 | {search["p50_ms"]:.1f} ms | |
| p95 | {search["p95_ms"]:.1f} ms | < 50 ms |
| p99 | {search["p99_ms"]:.1f} ms | |
| max | {search["max_ms"]:.1f} ms | |

## Booking over HTTP

{booking["clients"]} concurrent clients for {booking["seconds"]} s against granian (WSGI, 2 workers, psycopg pool)
on the same database, each POSTing /api/v1/appointments for random free slots of the department, so
clients often race for the same slot.

| measure | value | goal |
| --- | --- | --- |
| requests | {booking["requests"]:,} ({booking["requests_per_second"]} /s) | |
| bookings made (201) | {booking["bookings"]:,} ({booking["bookings_per_second"]} /s) | |
| lost races (409 SLOT_TAKEN / PATIENT_OVERLAP) | {booking["conflicts_409"]:,} | |
| any other status | {booking["other_statuses"] or "none"} | none |
| latency p50 / p95 | {booking["p50_ms"]} ms / {booking["p95_ms"]} ms | |
| double bookings found afterwards (overlap self-join) | {booking["double_bookings"]} | 0 |
"""
    (ROOT / "docs" / "benchmarks.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
