"""`make bench-read-audit`: what auditing reads costs the appointments list (50 rows, a doctor,
bearer token) and the patient's my-appointments page, on the bench database (100,000
appointments, bench/setup_data.py; built first when missing).

Each page is measured as bench/cpu.py measures (CPU of the request thread, wall clock, queries),
request by request alternating between the code as it is (each read's audit row written in
one statement before the response leaves, audit/access.py) and the same process with every
``viewed`` call replaced by nothing (no rows built, none written), so drift of the machine falls
on both. The overhead is the medians' difference over the unaudited median.

    .venv/bin/python -m bench.read_audit          # 2,000 requests each way per page
    BENCH_QUICK=1 .venv/bin/python -m bench.read_audit
    .venv/bin/python -m bench.read_audit --report [RESULTS.json]
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.server import LOGS

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "hospital_bench"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0", "false", "no")
MODE = "quick" if QUICK else "full"
ITERATIONS, WARM_UP = (200, 20) if QUICK else (2000, 50)
PAGES = ("appointments list (50 rows)", "my appointments page")
RESULTS = LOGS / f"read-audit-{MODE}.json"
START_MARK = "<!-- read-audit:start -->"
END_MARK = "<!-- read-audit:end -->"


def _environment() -> None:
    from bench.server import server_environment

    os.environ["BENCH_DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
    os.environ.update(server_environment())
    warnings.filterwarnings("ignore", message="No directory at")


def _database_built() -> bool:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as admin:
        row = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
    return row is not None


@contextmanager
def reads_unaudited() -> Iterator[None]:
    """Every module's ``viewed`` (imported by name from audit.access) replaced by nothing."""
    from audit import access

    original = access.viewed

    def nothing(**kwargs: object) -> None:
        return None

    patched = [
        module
        for module in list(sys.modules.values())
        if module is not None and getattr(module, "viewed", None) is original
    ]
    for module in patched:
        module.viewed = nothing  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for module in patched:
            module.viewed = original  # type: ignore[attr-defined]


def _measure_pages() -> dict[str, list[dict[str, Any]]]:
    """Each page's requests alternate one by one between audited and unaudited (ABBA, so
    neither always goes first): a drift of the machine, which on a shared 2-core VM moves a
    round's median by 20%, falls on both alike. One sample per request: CPU of the thread,
    wall clock."""
    import time

    from django.db import connection

    from bench import cpu, credentials

    endpoints = [e for e in cpu._endpoints(credentials.bench_users()) if e.name in PAGES]
    runs: dict[str, list[dict[str, Any]]] = {"audited": [], "unaudited": []}
    modes = {"audited": _as_is, "unaudited": reads_unaudited}
    for endpoint in endpoints:

        def get(endpoint: Any = endpoint) -> Any:
            response = endpoint.client.get(endpoint.path, headers=endpoint.headers)
            if response.status_code != 200:
                raise RuntimeError(f"{endpoint.path}: {response.status_code}")
            return response

        queries: dict[str, int] = {}
        for label, mode in modes.items():
            with mode():
                for _ in range(WARM_UP):
                    get()
                seen: list[str] = []

                def count(execute: Any, sql: str, *args: Any, seen: list[str] = seen) -> Any:
                    seen.append(sql)
                    return execute(sql, *args)

                with connection.execute_wrapper(count):
                    get()
                queries[label] = len(seen)
        samples: dict[str, list[tuple[float, float]]] = {label: [] for label in modes}
        for index in range(ITERATIONS):
            order = list(modes) if index % 2 == 0 else list(reversed(modes))
            for label in order:
                with modes[label]():
                    started, wall_started = time.thread_time(), time.perf_counter()
                    get()
                    samples[label].append(
                        (
                            (time.thread_time() - started) * 1000,
                            (time.perf_counter() - wall_started) * 1000,
                        )
                    )
        for label in modes:
            cpu_ms = [sample[0] for sample in samples[label]]
            wall_ms = [sample[1] for sample in samples[label]]
            runs[label].append(
                {
                    "name": endpoint.name,
                    "who": endpoint.who,
                    "median_ms": statistics.median(cpu_ms),
                    "wall_median_ms": statistics.median(wall_ms),
                    "queries": queries[label],
                    "samples": len(cpu_ms),
                }
            )
            print(
                f"  {endpoint.name}, {label}: CPU {statistics.median(cpu_ms):.2f} ms, "
                f"wall {statistics.median(wall_ms):.2f} ms ({len(cpu_ms)} requests)",
                flush=True,
            )
    return runs


def _durable_commit_ms() -> float:
    """Wall time of a one-row INSERT committed on its own (``synchronous_commit = on``: the
    commit waits for the WAL to reach the disk): the floor under any request that writes,
    which a read that wrote nothing did not pay before it was audited."""
    import time

    from django.db import connection

    walls = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_durable_commit (n integer)")
        for _ in range(ITERATIONS // 4):
            started = time.perf_counter()
            cursor.execute("INSERT INTO bench_durable_commit VALUES (1)")
            walls.append((time.perf_counter() - started) * 1000)
        cursor.execute("DROP TABLE bench_durable_commit")
    return float(statistics.median(walls))


@contextmanager
def _as_is() -> Iterator[None]:
    yield


def summarise(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    rows = []
    for page in PAGES:
        of = {label: [row for row in runs[label] if row["name"] == page] for label in runs}

        def median(label: str, key: str, of: dict[str, list[dict[str, Any]]] = of) -> float:
            return float(statistics.median(row[key] for row in of[label]))

        audited_cpu, plain_cpu = median("audited", "median_ms"), median("unaudited", "median_ms")
        audited_wall = median("audited", "wall_median_ms")
        plain_wall = median("unaudited", "wall_median_ms")
        rows.append(
            {
                "page": page,
                "who": of["audited"][0]["who"],
                "cpu_unaudited_ms": plain_cpu,
                "cpu_audited_ms": audited_cpu,
                "cpu_overhead": (audited_cpu - plain_cpu) / plain_cpu,
                "wall_unaudited_ms": plain_wall,
                "wall_audited_ms": audited_wall,
                "wall_overhead": (audited_wall - plain_wall) / plain_wall,
                "queries_unaudited": of["unaudited"][0]["queries"],
                "queries_audited": of["audited"][0]["queries"],
                "rounds": len(of["audited"]),
            }
        )
    return rows


def report(results: dict[str, Any]) -> str:
    lines = [
        START_MARK,
        "## Read auditing",
        "",
        f"Command: `{results['command']}` ({results['iterations']} requests each way per page, "
        f"audited and unaudited alternating request by request). Machine: {results['machine']}.",
        "",
        "| page | as | CPU unaudited | CPU audited | CPU overhead | wall unaudited | "
        "wall audited | wall overhead | queries |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in results["rows"]:
        lines.append(
            f"| {row['page']} | {row['who']} | {row['cpu_unaudited_ms']:.2f} ms | "
            f"{row['cpu_audited_ms']:.2f} ms | {row['cpu_overhead']:+.1%} | "
            f"{row['wall_unaudited_ms']:.2f} ms | {row['wall_audited_ms']:.2f} ms | "
            f"{row['wall_overhead']:+.1%} | {row['queries_unaudited']} -> "
            f"{row['queries_audited']} |"
        )
    lines += [
        "",
        "Audited: each read's row (one per object or list shown: one row naming the 50 "
        "patients of a list page, one for a patient's own list) built and written in one "
        "INSERT before the response leaves (audit/access.py). Unaudited: the same process "
        "with every `viewed` call replaced by nothing. Medians over all requests; CPU is the "
        "request thread's, wall clock includes PostgreSQL's time for the INSERT and its "
        "durable commit. The goal is under 10%.",
        "",
        f"A one-row INSERT committed on its own (the commit waits for the disk, as "
        f"`synchronous_commit = on` does) takes {results.get('durable_commit_ms', 0):.2f} "
        "ms of wall clock on this machine: an audited read is a write, and pays it, where the "
        "read alone paid none. The rows are not committed asynchronously to save it: a crash "
        "would lose the last reads' rows.",
        END_MARK,
    ]
    return "\n".join(lines)


def _write(results: dict[str, Any]) -> None:
    output = ROOT / "docs" / "benchmarks.md"
    page = output.read_text()
    section = report(results)
    if START_MARK in page and END_MARK in page:
        before, _, rest = page.partition(START_MARK)
        _, _, after = rest.partition(END_MARK)
        page = before + section + after
    else:
        page = page.rstrip("\n") + "\n\n" + section + "\n"
    output.write_text(page)
    print(f"bench: wrote {output}")


def main(argv: list[str]) -> None:
    if argv[:1] == ["--report"]:
        _write(json.loads(Path(argv[1] if len(argv) > 1 else RESULTS).read_text()))
        return
    _environment()
    from bench.run import _machine
    from bench.setup_data import build, django_setup

    built = _database_built()
    if not built:
        from bench.run import _recreate_database

        _recreate_database()
    django_setup()
    if not built:
        print("bench: building the bench database (100,000 appointments)", flush=True)
        build()
    runs = _measure_pages()
    results: dict[str, Any] = {
        "command": "make bench-read-audit" + (" BENCH_QUICK=1" if QUICK else ""),
        "machine": _machine(),
        "iterations": ITERATIONS,
        "rows": summarise(runs),
        "durable_commit_ms": _durable_commit_ms(),
        "runs": runs,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    for row in results["rows"]:
        print(
            f"  {row['page']}: CPU {row['cpu_overhead']:+.1%}, wall {row['wall_overhead']:+.1%}",
            flush=True,
        )
    _write(results)


if __name__ == "__main__":
    main(sys.argv[1:])
