"""Booking against the code of the day issue 10 was filed, on this machine.

Issue 10 asks for ">= 3x today's 107 requests/s with 32 clients": 107 was that code's own
booking bench (bench/booking_http.py of commit 09cd671) on the machine of that day. An
absolute figure moves with the machine (the shared cores here make 210-310 requests/s of
this code from one run to the next), so the bench also runs that commit's own booking bench,
unchanged, on this machine, interleaved with this code's: each round books on a fresh copy of
each side's database as built, the issue day's first in odd rounds and this code's first in
even ones, each side's client in a Python process of its own (as the issue day's bench ran
it), and the ratio of the medians is the figure the goal is judged by.

The issue-day code runs from a git worktree (var/bench/issue-day, this checkout's virtualenv)
against its own database built by its own bench/setup_data.py (the same department of 50
practitioners and 100,000 appointments, its schema), the bench Redis database emptied before
each run, and the same RabbitMQ (its booking publishes to the broker's default queue, emptied
after each of its runs: no worker consumes it during the bench).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.server import LOGS, ROOT, server_environment

ISSUE_DAY_COMMIT = "09cd671"
ISSUE_DAY_REQUESTS_PER_SECOND = 107.4  # as the issue reports it, on the machine of that day
DURATION_SECONDS = 20  # the issue-day booking bench's own (a constant there)
WORKTREE = LOGS / "issue-day"
_BUILD = "from bench.setup_data import django_setup, build; django_setup(); build()"
# The booking run, in a Python process of its own for either code (its client's 32 threads
# then share no interpreter with the rest of the bench): the issue day's with its own
# defaults (32 clients, 20 s, 4,000 patients), this code's with the same.
_BOOK = (
    "import json; from bench.setup_data import django_setup; django_setup(); "
    "from bench import booking_http; print('RESULT ' + json.dumps(booking_http.run(%s)))"
)
_BOOK_ISSUE_DAY = _BOOK % ""
_BOOK_NOW = _BOOK % f"seconds={DURATION_SECONDS}, clients_made=4000"


def _worktree() -> Path:
    """The issue-day checkout, made once (a detached worktree of this repository)."""
    if not (WORKTREE / "manage.py").exists():
        WORKTREE.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(  # noqa: S603 - git on PATH, our own repository
            ["git", "worktree", "add", "--force", "--detach", str(WORKTREE), ISSUE_DAY_COMMIT],  # noqa: S607
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    venv = WORKTREE / ".venv"
    if not venv.exists():
        venv.symlink_to(ROOT / ".venv")
    return WORKTREE


def _environment(database_url: str, *, issue_day: bool) -> dict[str, str]:
    """What either code runs with: the bench's services and limits, its settings (the issue
    day has no bench.settings: the project's) and database."""
    environment = server_environment()
    environment.update(BENCH_DATABASE_URL=database_url, DATABASE_URL=database_url)
    if issue_day:
        environment["DJANGO_SETTINGS_MODULE"] = "hospital.settings"
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return environment


def _python(code: str, database_url: str, *, issue_day: bool = True) -> str:
    completed = subprocess.run(  # noqa: S603 - the virtualenv's Python, our own code
        [str(ROOT / ".venv/bin/python"), "-c", code],
        cwd=_worktree() if issue_day else ROOT,
        env=_environment(database_url, issue_day=issue_day),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if completed.returncode != 0:
        code_of = "the issue-day code" if issue_day else "this code's booking run"
        raise RuntimeError(f"{code_of} failed: {completed.stderr[-2000:]}")
    return completed.stdout


def build(database_url: str) -> None:
    """The issue-day bench data, by the issue-day code, in an empty database."""
    _python(_BUILD, database_url)


def book(database_url: str, *, issue_day: bool) -> dict[str, Any]:
    """The booking bench of the issue day's code or of this one (32 clients, 20 s) on that
    database, in a process of its own."""
    output = _python(_BOOK_ISSUE_DAY if issue_day else _BOOK_NOW, database_url, issue_day=issue_day)
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def purge_default_queue() -> int:
    """The messages the issue-day booking published (to the broker's default queue)."""
    from kombu import Connection

    with Connection(server_environment()["CELERY_BROKER_URL"]) as connection:
        channel: Any = connection.default_channel  # an AMQP channel (kombu's type says less)
        try:
            return int(channel.queue_purge("celery") or 0)
        except connection.channel_errors:  # no such queue: nothing was published
            return 0


def compare(
    *,
    rounds: int,
    book_issue_day: Callable[[], dict[str, Any]],
    book_now: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """``rounds`` interleaved pairs of booking runs (each on a fresh copy, made by the
    callables), and the ratio of this code's median requests/s to the issue day's."""
    pairs = []
    for number in range(rounds):
        order = ("issue_day", "now") if number % 2 == 0 else ("now", "issue_day")
        pair: dict[str, Any] = {"first": order[0]}
        for side in order:
            pair[side] = book_issue_day() if side == "issue_day" else book_now()
            print(
                f"  booking, {side.replace('_', '-')} code, round {number + 1}: "
                f"{pair[side]['requests_per_second']} requests/s",
                flush=True,
            )
        pair["ratio"] = (
            pair["now"]["requests_per_second"] / pair["issue_day"]["requests_per_second"]
        )
        pairs.append(pair)
    issue_day = statistics.median(p["issue_day"]["requests_per_second"] for p in pairs)
    now = statistics.median(p["now"]["requests_per_second"] for p in pairs)
    return {
        "commit": ISSUE_DAY_COMMIT,
        "issue_day_reported": ISSUE_DAY_REQUESTS_PER_SECOND,
        "pairs": pairs,
        "issue_day_median": issue_day,
        "now_median": now,
        "ratio": now / issue_day,
        "ratios": [p["ratio"] for p in pairs],
        "double_bookings": sum(
            p[side]["double_bookings"] for p in pairs for side in ("issue_day", "now")
        ),
        "other_statuses": [
            p[side]["other_statuses"]
            for p in pairs
            for side in ("issue_day", "now")
            if p[side]["other_statuses"]
        ],
    }


if __name__ == "__main__":
    sys.exit("Run through bench/run.py (make bench)")
