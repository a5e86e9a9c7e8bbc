"""Throughput at 64 connections (wrk), each endpoint between two runs of the ceiling (the bare
`SELECT 1` view on the same server), so every ratio compares runs minutes apart at most."""

from __future__ import annotations

import datetime
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.server import Server

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk_status.lua"
CONNECTIONS = 64
# Issue 10: throughput relative to the ceiling, and p99 of authenticated reads.
RATIO_TARGETS = {
    "GET /api/v1/account/me": 0.25,
    "GET /api/v1/appointments (50 rows)": 0.1,
    "GET /api/v1/slots (cached, department, 7 days)": 0.25,
    "GET / (home page)": 0.5,
}
P99_TARGET_MS = 50.0


# The paced runs offer this share of what the endpoint served flat out: a server is run below
# its limit, and latency there is what its users see. At 64 connections flat out, latency is
# 64 / throughput on average (Little's law) whatever the code does: p99 < 50 ms there needs
# more than 1,280 requests/s.
PACED_SHARE = 0.5


def wrk(
    url: str,
    *,
    seconds: int,
    headers: dict[str, str],
    connections: int = CONNECTIONS,
    pause_ms: int = 0,
) -> dict[str, Any]:
    """One wrk run; its figures from bench/wrk_status.lua. ``pause_ms``: each connection
    waits that long after a response before its next request."""
    arguments = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    arguments += ["-s", str(WRK_SCRIPT)]
    for name, value in headers.items():
        arguments += ["-H", f"{name}: {value}"]
    script_arguments = ["--", str(pause_ms)] if pause_ms else []
    output = subprocess.run(  # noqa: S603 - wrk on PATH against our own server
        [*arguments, url, *script_arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 120,
    ).stdout
    figures: dict[str, Any] = {"statuses": {}}
    for line in output.splitlines():
        if not line.startswith("BENCH "):
            continue
        parts = line.split()
        if parts[1] == "status":
            figures["statuses"][int(parts[2])] = int(parts[3])
        else:
            figures[parts[1]] = int(parts[2])
    seconds_run = figures["duration_us"] / 1e6
    statuses: dict[int, int] = figures["statuses"]
    return {
        "requests": figures["requests"],
        "rps": figures["requests"] / seconds_run,
        "p50_ms": figures["p50_us"] / 1000,
        "p90_ms": figures["p90_us"] / 1000,
        "p99_ms": figures["p99_us"] / 1000,
        "max_ms": figures["max_us"] / 1000,
        "non_2xx": sum(n for status, n in statuses.items() if not 200 <= status < 300),
        "statuses": {str(status): n for status, n in sorted(statuses.items())},
        "socket_errors": figures["errors"],
    }


def _endpoints(users: dict[str, Any]) -> list[tuple[str, str, Any, bool]]:
    """(name, path, headers maker, authenticated)."""
    from django.utils import timezone

    from bench import credentials

    appointment_type = users["appointment_type"]
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    slots = (
        f"/api/v1/slots?appointment_type={appointment_type.public_id}"
        f"&department={appointment_type.department.public_id}"
        f"&date_from={tomorrow}&date_to={tomorrow + datetime.timedelta(days=6)}"
    )

    def bearer(user: Any) -> Any:
        # A new token for each run: access tokens live 5 minutes.
        return lambda: {"Authorization": f"Bearer {credentials.token_pair(user).access}"}

    patient, doctor = users["patient"], users["doctor"]
    return [
        ("GET /healthz", "/healthz", dict, False),
        ("GET /api/v1/account/me", "/api/v1/account/me", bearer(patient), True),
        ("GET /api/v1/appointments (50 rows)", "/api/v1/appointments", bearer(doctor), True),
        ("GET /api/v1/slots (cached, department, 7 days)", slots, bearer(patient), True),
        (
            "GET / (home page)",
            "/",
            lambda: {"Cookie": credentials.session_cookie(patient)},
            True,
        ),
    ]


def run(server: Server, users: dict[str, Any], *, seconds: int, warm_up: int) -> dict[str, Any]:
    from bench.urls import CEILING_PATH

    def ceiling() -> dict[str, Any]:
        wrk(server.url + CEILING_PATH, seconds=warm_up, headers={}, connections=8)
        result = wrk(server.url + CEILING_PATH, seconds=seconds, headers={})
        print(f"  wrk ceiling: {result['rps']:.0f}/s", flush=True)
        return result

    ceilings = [ceiling()]
    rows = []
    for name, path, headers_for, authenticated in _endpoints(users):
        headers = headers_for()
        wrk(server.url + path, seconds=warm_up, headers=headers, connections=8)
        result = wrk(server.url + path, seconds=seconds, headers=headers)
        print(f"  wrk {name}: {result['rps']:.1f}/s", flush=True)
        ceilings.append(ceiling())
        adjacent = statistics.mean([ceilings[-2]["rps"], ceilings[-1]["rps"]])
        target = RATIO_TARGETS.get(name)
        ratio = result["rps"] / adjacent
        paced = None
        if authenticated:
            # 64 connections, each pausing (on average) so that together they offer PACED_SHARE of the
            # rate just measured (the pause is the connections' share of a second).
            offered = result["rps"] * PACED_SHARE
            pause_ms = max(1, round(CONNECTIONS / offered * 1000))
            paced = wrk(server.url + path, seconds=seconds, headers=headers, pause_ms=pause_ms)
            paced |= {"offered_rps": offered, "pause_ms": pause_ms}
            paced["p99_passed"] = paced["p99_ms"] < P99_TARGET_MS
            print(
                f"  wrk {name} paced at {offered:.0f}/s: p99 {paced['p99_ms']:.1f} ms",
                flush=True,
            )
        rows.append(
            {
                "name": name,
                "path": path,
                **result,
                "ceiling_rps": adjacent,
                "ratio": ratio,
                "ratio_target": target,
                "ratio_passed": None if target is None else ratio >= target,
                "p99_passed": result["p99_ms"] < P99_TARGET_MS if authenticated else None,
                "paced": paced,
            }
        )
    return {
        "seconds": seconds,
        "connections": CONNECTIONS,
        "paced_share": PACED_SHARE,
        "ceilings": ceilings,
        "rows": rows,
    }
