"""The mixed load (bench/locustfile.py) for a bounded time against a freshly started server:
Locust's summary, the workers' memory every 10 seconds, and the application cache hit rate
read from /metrics before and after."""

from __future__ import annotations

import csv
import datetime
import json
import os
import re
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.server import LOGS, ROOT, Server

SAMPLE_EVERY_SECONDS = 10
USERS = int(os.environ.get("BENCH_LOCUST_USERS", "50"))
_COUNTER = re.compile(r"^hospital_cache_lookups_total\{([^}]*)\}\s+([0-9.eE+-]+)$")


def _write_credentials(path: Path, users: dict[str, Any]) -> None:
    """Signed-in people for Locust: a token pair (and a session cookie) each."""
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from bench import credentials

    def people(prefix: str, numbers: range, *, cookie: bool) -> list[dict[str, str]]:
        found = []
        for user in User.objects.filter(email__in=[f"{prefix}{n}@bench.test" for n in numbers]):
            pair = credentials.token_pair(user)
            person = {"access": pair.access, "refresh": pair.refresh}
            if cookie:
                person["cookie"] = credentials.session_cookie(user)
            found.append(person)
        return found

    appointment_type = users["appointment_type"]
    path.write_text(
        json.dumps(
            {
                "today": timezone.localdate().isoformat(),
                "appointment_type": str(appointment_type.public_id),
                "department": str(appointment_type.department.public_id),
                "refresh_after_seconds": max(30, settings.API_ACCESS_TOKEN_LIFETIME - 60),
                "patients_api": people("patient", range(1000, 1000 + USERS), cookie=False),
                "patients_web": people("patient", range(2000, 2000 + USERS), cookie=True),
                "patients_mobile": people("patient", range(3000, 3000 + USERS), cookie=False),
                "doctors": people("doctor", range(50), cookie=True),
                "receptionists": people("reception", range(10), cookie=True),
            }
        )
    )


def read_cache_counters(url: str) -> dict[tuple[str, str], float] | None:
    """hospital_cache_lookups_total by (cache, result) from /metrics; None if not served."""
    try:
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as response:  # noqa: S310
            text = response.read().decode()
    except (urllib.error.HTTPError, OSError):
        return None
    counters: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        match = _COUNTER.match(line.strip())
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
            key = (labels.get("cache", ""), labels.get("result", ""))
            counters[key] = counters.get(key, 0.0) + float(match.group(2))
    return counters


def _hit_rates(
    before: dict[tuple[str, str], float] | None, after: dict[tuple[str, str], float] | None
) -> dict[str, Any] | None:
    if after is None:
        return None
    before = before or {}
    rates: dict[str, Any] = {}
    for cache in sorted({cache for cache, _ in after}):
        hits = after.get((cache, "hit"), 0.0) - before.get((cache, "hit"), 0.0)
        misses = after.get((cache, "miss"), 0.0) - before.get((cache, "miss"), 0.0)
        rates[cache] = {
            "hits": int(hits),
            "misses": int(misses),
            "rate": hits / (hits + misses) if hits + misses else None,
        }
    return rates


def _locust_summary(prefix: str) -> list[dict[str, Any]]:
    rows = []
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            rows.append(
                {
                    "name": row["Name"] if row["Name"] != "Aggregated" else "all requests",
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "rps": float(row["Requests/s"]),
                    "p50_ms": float(row["50%"] or 0),
                    "p95_ms": float(row["95%"] or 0),
                    "p99_ms": float(row["99%"] or 0),
                }
            )
    return rows


def _failures(prefix: str) -> list[dict[str, Any]]:
    try:
        with open(f"{prefix}_failures.csv", newline="") as failures:
            return [
                {"name": row["Name"], "error": row["Error"], "occurrences": int(row["Occurrences"])}
                for row in csv.DictReader(failures)
            ]
    except OSError:
        return []


def run(users: dict[str, Any], *, seconds: int) -> dict[str, Any]:
    LOGS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="locust-", dir=LOGS))
    credentials_path = work / "credentials.json"
    _write_credentials(credentials_path, users)
    prefix = str(work / "locust")
    with Server() as server:
        before = read_cache_counters(server.url)
        environment = {**os.environ, "BENCH_LOCUST_CREDENTIALS": str(credentials_path)}
        locust = subprocess.Popen(  # noqa: S603 - Locust from our venv against our server
            [
                str(ROOT / ".venv/bin/locust"),
                "-f",
                str(ROOT / "bench/locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                "10",
                "--run-time",
                f"{seconds}s",
                "--stop-timeout",
                "10",
                "--host",
                server.url,
                "--csv",
                prefix,
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "locust.log", "wb"),  # noqa: SIM115 - closed with the process
        )
        began = time.monotonic()
        memory: list[dict[str, Any]] = [{"seconds": 0, "rss_mib": server.worker_rss_mib()}]
        next_sample = SAMPLE_EVERY_SECONDS
        while locust.poll() is None:
            time.sleep(1)
            elapsed = time.monotonic() - began
            if elapsed >= next_sample:
                memory.append({"seconds": round(elapsed), "rss_mib": server.worker_rss_mib()})
                next_sample += SAMPLE_EVERY_SECONDS
        memory.append(
            {"seconds": round(time.monotonic() - began), "rss_mib": server.worker_rss_mib()}
        )
        after = read_cache_counters(server.url)
    return {
        "users": USERS,
        "seconds": seconds,
        "started": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
        "exit_code": locust.returncode,
        "summary": _locust_summary(prefix),
        "failures": _failures(prefix),
        "memory": memory,
        "metrics_served": after is not None,
        "cache": _hit_rates(before, after),
        "log": str(work / "locust.log"),
    }
