"""`make bench-audit-chain`: the tamper-evident audit chain (audit/chain.py) on PostgreSQL;
written into docs/benchmarks.md (the part between the audit-chain markers).

1. Writes under the sealer: 32 threads append audit rows (``audit.services.record``, each in
   its own transaction, as a request does) for a fixed time, once without a sealer and once
   with one sealing in a loop beside them; rows per second and the per-row latency (p50, p95,
   p99). The writers never wait on the chain: any difference is the sealer's share of the
   machine and the database.
2. Sealing and verifying a long trail: BENCH_AUDIT_ROWS rows (default 10,000,000) inserted by
   SQL, linked by ``seal_pending`` (links per second) and walked by ``verify`` from the
   genesis (links per second), as `manage.py audit_verify` does.

    .venv/bin/python -m bench.audit_chain
    BENCH_AUDIT_ROWS=1000000 .venv/bin/python -m bench.audit_chain     # a shorter trail
    .venv/bin/python -m bench.audit_chain --report [RESULTS.json]       # the section again

Its own database, hospital_bench_audit (dropped and rebuilt); BENCH_ADMIN_DATABASE_URL as
bench/run.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.sections import write_section
from bench.server import LOGS

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "hospital_bench_audit"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
ROWS = int(os.environ.get("BENCH_AUDIT_ROWS", "10000000"))
WRITERS = 32
WRITE_SECONDS = float(os.environ.get("BENCH_AUDIT_WRITE_SECONDS", "20"))
RESULTS = LOGS / "audit-chain.json"
START_MARK = "<!-- audit-chain:start -->"
END_MARK = "<!-- audit-chain:end -->"


def _environment() -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "hospital.settings",
            "DATABASE_URL": DATABASE_URL,
            "DATABASE_POOL_MAX_SIZE": str(WRITERS + 4),
            "DJANGO_DEBUG": "false",
        }
    )
    for variable in ("REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(variable, None)


def _setup() -> None:
    from bench.run import _admin_execute

    _admin_execute(
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", f"CREATE DATABASE {DATABASE}"
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def writes(*, sealing: bool) -> dict[str, Any]:
    from django.db import connection, transaction

    from audit.services import AuditTarget, record

    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(WRITERS)]
    sealed = [0]

    def writer(number: int) -> None:
        mine = latencies[number]
        target = AuditTarget("accounts.user", f"bench-{number}")
        while not stop.is_set():
            started = time.perf_counter()
            with transaction.atomic():
                record(action="records.chart_viewed", target=target, details={"n": number})
            mine.append(time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    # The sealer runs where it runs in production: in a process of its own (a Celery worker),
    # not under the writers' interpreter lock.
    sealer = (
        subprocess.Popen(  # noqa: S603 - this module, with a number
            [sys.executable, "-m", "bench.audit_chain", "--seal-for", str(WRITE_SECONDS)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        if sealing
        else None
    )
    for thread in threads:
        thread.start()
    time.sleep(WRITE_SECONDS)
    stop.set()
    for thread in threads:
        thread.join()
    if sealer is not None:
        output, _ = sealer.communicate(timeout=120)
        sealed[0] = int(output.strip().splitlines()[-1])
    every = [value for mine in latencies for value in mine]
    return {
        "sealing": sealing,
        "rows": len(every),
        "rows_per_second": len(every) / WRITE_SECONDS,
        "latency_ms": _ms(every),
        "sealed_during": sealed[0],
    }


def long_trail(rows: int) -> dict[str, Any]:
    from django.db import connection

    from audit.chain import seal_pending, verify
    from audit.models import AuditSeal

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_role, action, target_type, "
            "target_id, outcome, request_id, user_agent, details) "
            "SELECT now() - make_interval(secs => %s - n), 'doctor', 'records.chart_viewed', "
            "'accounts.user', 'patient-' || (n %% 5000), 'success', 'bench-' || n, "
            "'Bench/1.0', jsonb_build_object('n', n) FROM generate_series(1, %s) AS n",
            [rows, rows],
        )
        cursor.execute("ANALYZE audit_auditevent")
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    run = seal_pending(batch=5000)
    seal_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditseal")
    started = time.perf_counter()
    result = verify(chunk=5000)
    verify_seconds = time.perf_counter() - started
    if not result.ok or result.checked != AuditSeal.objects.count():
        raise RuntimeError(f"verification failed on the bench trail: {result}")
    started = time.perf_counter()
    resumed = verify(resume=True)
    resume_seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "insert_seconds": inserted,
        "linked": run.linked,
        "checkpoints": run.checkpoints,
        "seal_seconds": seal_seconds,
        "seal_per_second": run.linked / seal_seconds,
        "verify_seconds": verify_seconds,
        "verify_per_second": result.checked / verify_seconds,
        "resume_seconds": resume_seconds,
        "resume_checked": resumed.checked,
    }


def render(results: dict[str, Any]) -> str:
    plain, sealed = results["writes"]
    trail = results["trail"]
    change = (sealed["rows_per_second"] / plain["rows_per_second"] - 1) * 100
    return f"""{START_MARK}
## Audit chain

Generated by `make bench-audit-chain` (bench/audit_chain.py). Do not edit by hand.

- Run: {results["date"]}, {results["minutes"]:.1f} minutes; code: commit {results["commit"]}.
- Machine: {results["machine"]}. Load average {results["load_average_start"]} at the start.
- Database: its own (`{DATABASE}`, rebuilt by every run), PostgreSQL on 127.0.0.1.

**Writes with and without the sealer**: {WRITERS} threads each appending audit rows
(`audit.services.record`, one transaction a row) for {WRITE_SECONDS:.0f} s.

| sealer | rows | rows per second | p50 ms | p95 ms | p99 ms | linked by the sealer process meanwhile (this run's rows and the first run's) |
| --- | --- | --- | --- | --- | --- | --- |
| none | {plain["rows"]:,} | {plain["rows_per_second"]:,.0f} | {plain["latency_ms"]["p50"]:.2f} | {plain["latency_ms"]["p95"]:.2f} | {plain["latency_ms"]["p99"]:.2f} | - |
| sealing in a loop | {sealed["rows"]:,} | {sealed["rows_per_second"]:,.0f} | {sealed["latency_ms"]["p50"]:.2f} | {sealed["latency_ms"]["p95"]:.2f} | {sealed["latency_ms"]["p99"]:.2f} | {sealed["sealed_during"]:,} |

Throughput with the sealer running: {change:+.1f}% against the run without it. The writers
never wait on the chain (the sealer is a process of its own, as a Celery worker is), so what
it can cost is its share of the two cores and of the database; on this machine runs of
this bench have differed by up to 25% either way, so one run's difference is noise unless it
repeats.

**A long trail**: {trail["rows"]:,} rows inserted by SQL in {trail["insert_seconds"]:.0f} s, then:

| step | links | seconds | links per second |
| --- | --- | --- | --- |
| `seal_pending` (batches of 5,000) | {trail["linked"]:,} ({trail["checkpoints"]:,} checkpoints) | {trail["seal_seconds"]:.1f} | {trail["seal_per_second"]:,.0f} |
| `verify` from the genesis | {trail["linked"]:,} | {trail["verify_seconds"]:.1f} | {trail["verify_per_second"]:,.0f} |
| `verify --resume` (from the newest checkpoint) | {trail["resume_checked"]:,} | {trail["resume_seconds"]:.2f} | |
{END_MARK}"""


def _seal_for(seconds: float) -> None:
    """The sealer process of ``writes``: seal in a loop for ``seconds``, print how many."""
    _environment()
    import django

    django.setup()
    from audit.chain import seal_pending

    linked = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        linked += seal_pending().linked
        time.sleep(0.2)
    print(linked)


def main() -> None:
    if sys.argv[1:2] == ["--seal-for"]:
        _seal_for(float(sys.argv[2]))
        return
    if sys.argv[1:2] == ["--report"]:
        saved = Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS
        write_section(
            ROOT / "docs" / "benchmarks.md",
            START_MARK,
            END_MARK,
            render(json.loads(saved.read_text())),
        )
        return
    started = time.monotonic()
    _environment()
    from bench.run import _git, _load_average, _machine

    _setup()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _git(),
        "machine": _machine(),
        "load_average_start": _load_average(),
    }
    print(
        f"bench: {WRITERS} writers for {WRITE_SECONDS:.0f} s without, then with the sealer",
        flush=True,
    )
    results["writes"] = [writes(sealing=False), writes(sealing=True)]
    for row in results["writes"]:
        print(
            f"  sealing={row['sealing']}: {row['rows_per_second']:,.0f} rows/s, {row['latency_ms']}",
            flush=True,
        )
    print(f"bench: a trail of {ROWS:,} rows: insert, seal, verify", flush=True)
    results["trail"] = long_trail(ROWS)
    print(f"  {results['trail']}", flush=True)
    results["minutes"] = (time.monotonic() - started) / 60
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    write_section(ROOT / "docs" / "benchmarks.md", START_MARK, END_MARK, render(results))
    print(f"bench: wrote docs/benchmarks.md ({results['minutes']:.1f} minutes)")


if __name__ == "__main__":
    main()
