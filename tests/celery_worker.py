"""A real `celery -A hospital worker` process on the test database and the real broker.

Its log (Django's LOGGING, text format, request id on every line) goes to a file the test
can read; ``tests.celery_tasks`` (test-only tasks) is imported by the worker only.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.database_roles import child_environment

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole worker (the main process; prefork children follow)."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def kill_all(self) -> None:
        """SIGKILL the worker and every process it started (pool processes, embedded beat)
        at once: nothing of it gets to finish what it was doing."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)


@contextmanager
def publishing_through(url: str) -> Iterator[None]:
    """This (test) process sends tasks to ``url`` instead of the configured broker; workers
    keep their own connection. Pooled connections are dropped both ways."""
    from hospital.celery import app

    def drop_pooled_connections() -> None:
        # Celery's own after-fork reset: the next send takes kombu's pool for the new URL.
        # (Not force-closed: kombu keeps pools per URL and would hand the closed one back.)
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # type: ignore[attr-defined]

    drop_pooled_connections()
    app.conf.update(broker_write_url=url)
    try:
        yield
    finally:
        drop_pooled_connections()
        app.conf.update(broker_write_url=None)


def wait_for(condition, *, seconds: float = 60, what: str = "the condition") -> None:
    """Poll until ``condition()`` is true; fail the test after ``seconds`` (never a timed assert)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what}")
        time.sleep(0.1)


@contextmanager
def celery_worker(
    tmp_path: Path,
    *,
    pool: str = "solo",
    concurrency: int = 1,
    name: str = "w",
    purge: bool = True,
    environment: dict[str, str] | None = None,
    beat: bool = False,
) -> Iterator[Worker]:
    """Start a worker, wait until it answers a ping, stop it gracefully at the end. ``purge``
    first drops messages an earlier test left in the queue; ``environment`` adds variables
    (settings) for the worker; ``beat`` runs Celery beat inside it (the periodic sweeps)."""
    from hospital.celery import app

    if purge:
        app.control.purge()

    environment = {
        **child_environment(os.environ),
        "DATABASE_POOL_MIN_SIZE": "0",
        "LOG_LEVEL": "info",
        "LOG_FORMAT": "text",
        **(environment or {}),
    }
    log = tmp_path / f"worker-{name}.log"
    node = f"test-{name}-{os.getpid()}@%h"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our own worker command
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "hospital",
                "worker",
                "--pool",
                pool,
                "--concurrency",
                str(concurrency),
                "--include",
                "tests.celery_tasks",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-n",
                node,
                *(["--beat", "--schedule", str(tmp_path / f"beat-{name}")] if beat else []),
            ],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own process group: kill_all() reaches the pool processes too.
            start_new_session=True,
        )
    worker = Worker(process, log)
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not start:\n{worker.output()[-3000:]}")
        yield worker
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
