"""Test-only Celery tasks: imported by the test worker (`--include tests.celery_tasks`) and by
the tests that send them, never by the project. They leave their traces in files of a
directory the test names, so the test sees what ran where without sharing memory."""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.request_id import current_request_id
from core.tasks import MUST_NOT_BE_LOST, RETRY_TRANSIENT


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as file:
        file.write(f"{line}\n")


@shared_task(name="tests.celery_tasks.block_until_released", **MUST_NOT_BE_LOST)
def block_until_released(directory: str) -> None:
    """Note the worker process that started, wait for the test's release file, note completion."""
    folder = Path(directory)
    _append(folder / "started", str(os.getpid()))
    deadline = time.monotonic() + 120
    while not (folder / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.05)
    _append(folder / "done", str(os.getpid()))


@shared_task(name="tests.celery_tasks.overrun", soft_time_limit=1, time_limit=30)
def overrun(directory: str) -> None:
    """Run past the soft time limit and note that the limit interrupted it."""
    folder = Path(directory)
    try:
        time.sleep(20)
    except SoftTimeLimitExceeded:
        _append(folder / "soft-limit", str(os.getpid()))
        raise
    _append(folder / "finished", str(os.getpid()))


@shared_task(name="tests.celery_tasks.note_request_id")
def note_request_id(directory: str) -> None:
    """Note the request id the task runs under, and say it in a log line."""
    import logging

    logging.getLogger("tests.celery_tasks").warning("note_request_id ran")
    _append(Path(directory) / "request-id", current_request_id())


@shared_task(name="tests.celery_tasks.fail_then_succeed", **RETRY_TRANSIENT)
def fail_then_succeed(directory: str, error: str) -> int:
    """Raise ``error`` (a class name) on the first run, succeed on the next; return the run."""
    from django.db import OperationalError

    errors = {"OperationalError": OperationalError, "ValueError": ValueError}
    runs = Path(directory) / "runs"
    _append(runs, str(os.getpid()))
    run = len(runs.read_text(encoding="utf-8").split())
    if run == 1:
        raise errors[error]("the first run fails")
    return run
