"""`make bench`: build the benchmark database, measure, and write docs/benchmarks.md.

    .venv/bin/python bench/run.py              # full: about 20-25 minutes
    BENCH_QUICK=1 .venv/bin/python bench/run.py   # everything shortened: about 5 minutes
    .venv/bin/python bench/run.py --report var/bench/results-full.json   # the page again
    BENCH_DATABASE=mycopy .venv/bin/python bench/run.py --cpu [NAME ...]   # CPU per request
        only, on an existing bench database (not rebuilt; a copy: CREATE DATABASE mycopy
        TEMPLATE hospital_bench), the endpoints whose names contain NAME (all by default)

Environment: BENCH_DATABASE (default hospital_bench; dropped and rebuilt),
BENCH_ADMIN_DATABASE_URL (where to create it), BENCH_REDIS_URL (default
redis://127.0.0.1:6379/8, emptied by the run), BENCH_CELERY_BROKER_URL (default the local
RabbitMQ; the queue "hospital-bench"), BENCH_SERVER (granian or serve, bench/server.py),
BENCH_LOCUST_USERS, BENCH_OUTPUT (default docs/benchmarks.md).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import server as bench_server  # noqa: E402
from bench.setup_data import build, django_setup  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "hospital_bench")
AS_BUILT_DATABASE = f"{DATABASE}_as_built"  # a copy made right after the build
BOOKING_DATABASE = f"{DATABASE}_booking"  # a fresh copy of that for each booking run
# The issue-day code's own bench data (bench/issue_day.py), and a fresh copy for each run.
ISSUE_DAY_BUILT_DATABASE = f"{DATABASE}_issue_day_built"
ISSUE_DAY_DATABASE = f"{DATABASE}_issue_day"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")


class Mode:
    """How long each part runs: full (the figures we publish) or quick (a smoke run)."""

    name = "quick" if QUICK else "full"
    cpu_iterations, cpu_warm_up = (50, 5) if QUICK else (200, 20)
    wrk_seconds, wrk_warm_up = (5, 1) if QUICK else (20, 3)
    load_seconds = 120 if QUICK else 600
    login_seconds = 10 if QUICK else 20
    booking_seconds = 10 if QUICK else 20
    booking_patients = 1500 if QUICK else 4000  # tokens made beforehand (they come round again)
    # Interleaved pairs of booking runs against the issue-day code (20 s each: its bench's).
    issue_day_rounds = 1 if QUICK else 5
    slot_search_iterations = 50 if QUICK else 200


def _recreate_database() -> None:
    _admin_execute(
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"
    )


def _admin_execute(*statements: str) -> None:
    admin_url = os.environ.get(
        "BENCH_ADMIN_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
    )
    import psycopg

    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as connection:
        for statement in statements:
            connection.execute(statement)


def _disconnect() -> None:
    """This process's connections to the bench database closed (pool included): PostgreSQL
    copies a database only while nobody is connected to it."""
    from django.db import connections

    for connection in connections.all():
        connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            close_pool()


def _copy_as_built() -> None:
    """A copy of the database as built, for the booking runs: measured on the data as the
    issue-day bench measured it (right after the build), not after the mixed load has booked
    and cancelled through the same department for ten minutes."""
    _disconnect()
    _admin_execute(
        f"DROP DATABASE IF EXISTS {AS_BUILT_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {AS_BUILT_DATABASE} TEMPLATE {DATABASE}",
    )


def _on_the_copy_as_built(work: Callable[[], Any]) -> Any:
    """``work`` with this process and the servers it starts on a fresh copy of the database
    as built, then back; the cache emptied first (what the earlier servers cached was read
    from another database)."""
    from django.core.cache import cache
    from django.db import connections

    settings_dict = connections["default"].settings_dict
    urls = {name: os.environ[name] for name in ("DATABASE_URL", "BENCH_DATABASE_URL")}
    _disconnect()
    _admin_execute(
        f"DROP DATABASE IF EXISTS {BOOKING_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {BOOKING_DATABASE} TEMPLATE {AS_BUILT_DATABASE}",
    )
    settings_dict["NAME"] = BOOKING_DATABASE
    for name, url in urls.items():
        os.environ[name] = url.rsplit("/", 1)[0] + "/" + BOOKING_DATABASE
    cache.clear()
    try:
        return work()
    finally:
        _disconnect()
        settings_dict["NAME"] = DATABASE
        os.environ.update(urls)


def _database_url(name: str) -> str:
    return os.environ["BENCH_DATABASE_URL"].rsplit("/", 1)[0] + "/" + name


def _against_the_issue_day() -> dict[str, Any]:
    """Booking, this code against the issue-day code's own bench, interleaved
    (bench/issue_day.py), each run on a fresh copy of its side's data as built."""
    from django.core.cache import cache

    from bench import issue_day

    _disconnect()  # nothing of this process on the copies' templates
    _admin_execute(
        f"DROP DATABASE IF EXISTS {ISSUE_DAY_BUILT_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {ISSUE_DAY_BUILT_DATABASE}",
    )
    issue_day.build(_database_url(ISSUE_DAY_BUILT_DATABASE))

    def book_on_a_fresh_copy(template: str, copy: str, *, of_the_issue_day: bool) -> dict[str, Any]:
        _admin_execute(
            f"DROP DATABASE IF EXISTS {copy} WITH (FORCE)",
            f"CREATE DATABASE {copy} TEMPLATE {template}",
        )
        cache.clear()
        try:
            return issue_day.book(_database_url(copy), issue_day=of_the_issue_day)
        finally:
            if of_the_issue_day:
                issue_day.purge_default_queue()

    return issue_day.compare(
        rounds=Mode.issue_day_rounds,
        book_issue_day=lambda: book_on_a_fresh_copy(
            ISSUE_DAY_BUILT_DATABASE, ISSUE_DAY_DATABASE, of_the_issue_day=True
        ),
        book_now=lambda: book_on_a_fresh_copy(
            AS_BUILT_DATABASE, BOOKING_DATABASE, of_the_issue_day=False
        ),
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _machine() -> str:
    cpu = "unknown CPU"
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    try:
        kib = int(_read("/proc/meminfo").split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (ValueError, IndexError):
        pass
    postgres = subprocess.run(
        ["psql", "--version"],  # noqa: S607 - the client on PATH, for the report only
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, {postgres}"
    )


def _git() -> str:
    def git(*arguments: str) -> str:
        return subprocess.run(  # noqa: S603 - fixed git arguments
            ["git", *arguments],  # noqa: S607 - for the report only
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()

    commit = git("rev-parse", "--short", "HEAD")
    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return f"{commit} (+{len(changed)} uncommitted paths)" if changed else commit


def _load_average() -> str:
    return " ".join(_read("/proc/loadavg").split()[:3])


_PARTIAL: dict[str, Any] = {}


def _timed(label: str, timings: dict[str, float], work: Callable[[], Any]) -> Any:
    print(f"bench: {label} ...", flush=True)
    started = time.monotonic()
    result = work()
    timings[label] = time.monotonic() - started
    print(f"bench: {label} done in {timings[label]:.0f} s", flush=True)
    # What was measured so far survives a later failure.
    _PARTIAL[label] = result
    partial = bench_server.LOGS / f"results-{Mode.name}.partial.json"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_text(json.dumps(_PARTIAL, indent=1, default=str))
    return result


def measure() -> dict[str, Any]:
    """Every measurement; the figures as one dictionary (also saved as JSON)."""
    from bench import booking_http, cpu, credentials, load, logins, slot_search, throughput

    timings: dict[str, float] = {}
    results: dict[str, Any] = {
        "mode": Mode.name,
        "date": datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "commit": _git(),
        "server": bench_server.describe(),
        "load_average_start": _load_average(),
        "timings": timings,
    }
    results["data"] = _timed("data", timings, build)
    _copy_as_built()
    users = credentials.bench_users()
    results["slot_search"] = _timed(
        "slot search (in-process)",
        timings,
        lambda: slot_search.run(iterations=Mode.slot_search_iterations),
    )
    results["cpu"] = _timed(
        "CPU per request",
        timings,
        lambda: cpu.run(iterations=Mode.cpu_iterations, warm_up=Mode.cpu_warm_up),
    )
    with bench_server.Server() as served:
        results["throughput"] = _timed(
            "throughput (wrk)",
            timings,
            lambda: throughput.run(
                served, users, seconds=Mode.wrk_seconds, warm_up=Mode.wrk_warm_up
            ),
        )
    with bench_server.Server() as served:
        results["logins"] = _timed(
            "logins", timings, lambda: logins.run(served, seconds=Mode.login_seconds)
        )
    results["load"] = _timed(
        "mixed load (Locust)", timings, lambda: load.run(users, seconds=Mode.load_seconds)
    )
    results["booking"] = _timed(
        "booking over HTTP",
        timings,
        lambda: _on_the_copy_as_built(
            lambda: booking_http.run(
                seconds=Mode.booking_seconds, clients_made=Mode.booking_patients
            )
        ),
    )
    results["booking_issue_day"] = _timed(
        "booking against the issue-day code", timings, _against_the_issue_day
    )
    results["load_average_end"] = _load_average()
    return results


def _purge_bench_queue() -> None:
    """The booking events published during the run (no worker consumed them)."""
    from hospital.celery import app

    queue = app.conf.task_default_queue
    try:
        purged = app.control.purge()  # the app's queues: the default one, the bench's
        print(f"bench: purged {purged or 0} messages from the broker queue {queue!r}")
    except Exception as error:  # a report line: the figures are what matter
        print(f"bench: could not purge the broker queue {queue!r}: {error}")


def _command() -> str:
    """The command line that reproduces this run."""
    options = [
        f"{name}={os.environ[name]}"
        for name in ("BENCH_QUICK", "BENCH_DATABASE", "BENCH_SERVER", "BENCH_LOCUST_USERS")
        if os.environ.get(name)
    ]
    return " ".join(["make bench", *options])


def _write(results: dict[str, Any]) -> None:
    from bench.report import render

    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks.md"))
    page = render(results, database=results.get("database", DATABASE))
    # The sections other commands write (`make bench-notifications`, `make bench-front-desk`):
    # kept as they are, in the order the page had them.
    from bench import front_desk, notifications

    kept_sections = (
        (notifications.START_MARK, notifications.END_MARK),
        (front_desk.START_MARK, front_desk.END_MARK),
    )
    previous = output.read_text() if output.exists() else ""
    kept = sorted(
        (previous.index(start), start + previous.partition(start)[2].partition(end)[0] + end)
        for start, end in kept_sections
        if start in previous and end in previous
    )
    for _, section in kept:
        page = page.rstrip("\n") + "\n\n" + section + "\n"
    output.write_text(page)
    print(f"bench: wrote {output}")


def main() -> None:
    if sys.argv[1:2] == ["--report"]:
        # Render the page again from a run's saved figures (after a change to bench/report.py).
        _write(json.loads(Path(sys.argv[2]).read_text()))
        return
    os.environ["BENCH_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    # The in-process measurements run with what the server runs with (bench/server.py).
    os.environ.update(bench_server.server_environment())
    # WhiteNoise looks for collected static files the bench does not need.
    warnings.filterwarnings("ignore", message="No directory at")
    if sys.argv[1:2] == ["--cpu"]:
        # While working on an endpoint: its CPU per request on a database already built.
        from bench import cpu

        django_setup()
        cpu.run(iterations=Mode.cpu_iterations, warm_up=Mode.cpu_warm_up, only=sys.argv[2:])
        return
    started = time.monotonic()
    _recreate_database()
    django_setup()
    from django.core.cache import cache

    cache.clear()  # the bench Redis database: stale sessions and slots of an earlier run
    try:
        results = measure()
    finally:
        _purge_bench_queue()
    results["total_seconds"] = time.monotonic() - started
    results["database"] = DATABASE
    results["command"] = _command()
    raw = bench_server.LOGS / f"results-{Mode.name}.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, indent=1, default=str))
    print(f"bench: figures in {raw}; {results['total_seconds'] / 60:.1f} minutes")
    _write(results)


if __name__ == "__main__":
    main()
