"""The server under test: granian (WSGI, 2 workers) on the bench database, with the
production-like backing services. The one place that says how the bench serves the app."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "var" / "bench"  # the servers' output and Locust's files, for a look afterwards
WORKERS = 2
# How the server is started: "granian" (explicit flags below: 16 threads per worker on a pool
# of 20, as the booking figures before issue 10 were measured) or "serve" (python -m
# hospital.serve: threads derived from the pool). The one switch; BENCH_SERVER overrides.
SERVER = os.environ.get("BENCH_SERVER", "granian")
BLOCKING_THREADS = int(os.environ.get("BENCH_BLOCKING_THREADS", "16"))
POOL_MAX_SIZE = os.environ.get("BENCH_POOL_MAX_SIZE", "20")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_environment() -> dict[str, str]:
    """What the bench server (and the in-process measurements) run with: Redis cache and
    sessions, the RabbitMQ broker (booking publishes through the outbox), no rate limits."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "LOG_LEVEL": "warning",
        "RATE_LIMITS_ENABLED": "false",
        "DATABASE_POOL_MAX_SIZE": POOL_MAX_SIZE,
        # Reception may check in any booked visit of the next two weeks, whatever the hour the
        # bench runs at (the default opens check-in 60 minutes before the start).
        "APPOINTMENT_CHECK_IN_OPENS_MINUTES": str(14 * 24 * 60),
    }
    # Never the caller's own REDIS_URL or broker: the bench empties its Redis database.
    environment["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    environment["CELERY_BROKER_URL"] = os.environ.get(
        "BENCH_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//"
    )
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each server gets its own
    return environment


def command(port: int) -> list[str]:
    if SERVER == "serve":
        return [str(ROOT / ".venv/bin/python"), "-m", "hospital.serve"]  # HOST, PORT: env
    return [
        str(ROOT / ".venv/bin/granian"),
        "--interface",
        "wsgi",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(WORKERS),
        "--blocking-threads",
        str(BLOCKING_THREADS),
        "hospital.wsgi:application",
    ]


class Server:
    """A running server: ``with Server() as server: server.url``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        LOGS.mkdir(parents=True, exist_ok=True)
        self.log = (LOGS / f"server-{self.port}.log").open("wb")
        self.metrics_dir = tempfile.mkdtemp(prefix="bench-metrics-")

    def __enter__(self) -> Server:
        environment = server_environment()
        environment["PROMETHEUS_MULTIPROC_DIR"] = self.metrics_dir
        environment.update(HOST="127.0.0.1", PORT=str(self.port), WEB_CONCURRENCY=str(WORKERS))
        self.process = subprocess.Popen(  # noqa: S603 - our own server on loopback
            command(self.port),
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310
                    # Both workers answer: a few more probes reach the second one.
                    for _ in range(10):
                        urllib.request.urlopen(f"{self.url}/bench/ceiling", timeout=5).close()  # noqa: S310
                    return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the server did not start; see {self.log.name}")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker process (the server's descendants that run Python)."""
        if self.process is None:
            return []
        return [rss / 1024 / 1024 for _pid, rss in _descendants_rss(self.process.pid)]


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found.extend(int(child) for child in task.read_text().split())
        except OSError:
            continue
    return found


def _rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _descendants_rss(pid: int) -> list[tuple[int, int]]:
    """(pid, RSS) of every process below ``pid``: granian's workers."""
    pending, found = _children(pid), []
    while pending:
        child = pending.pop()
        found.append((child, _rss_bytes(child)))
        pending.extend(_children(child))
    return found


def describe() -> str:
    """The server line for the report."""
    if SERVER == "serve":
        return (
            f"`python -m hospital.serve` (granian WSGI, {WORKERS} workers, threads = pool size "
            f"{POOL_MAX_SIZE})"
        )
    return (
        f"granian WSGI, {WORKERS} workers, {BLOCKING_THREADS} blocking threads per worker, "
        f"psycopg pool of {POOL_MAX_SIZE} per worker"
    )
