"""More concurrent requests than database connections, against the production HTTP process.

``python -m hospital.serve`` runs granian with as many blocking threads per worker as the pool
has connections; requests beyond that wait before Python (granian's queue, the listen
backlog), not in threads blocked on the pool. A request that still cannot get a connection
within DATABASE_POOL_TIMEOUT (psycopg_pool's ``PoolTimeout`` when Django opens the connection)
answers 503 with Retry-After. Never a 500, never a traceback.

Under sustained overload that queue grows; behind a proxy that stamps ``X-Request-Start``, a
request that waited longer than REQUEST_QUEUE_TIMEOUT answers 503 with Retry-After at once
(core.queue_time), so no one waits much longer than that.

The server runs tests/hospital/overload_settings.py: the project's settings and URLs plus a
page and an API call that hold their connection for 0.3 s (``SELECT pg_sleep(0.3)``) and
report the queue time core.queue_time measured (``QUEUE_HEADER``).
"""

from __future__ import annotations

import collections
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection, transaction

from hospital import serve
from hospital.serve import granian_arguments
from tests.database_roles import child_environment
from tests.hospital.overload_urls import QUEUE_HEADER

pytestmark = [pytest.mark.services("DATABASE_URL", "REDIS_URL")]

ROOT = Path(__file__).resolve().parents[2]
POOL_SIZE = 2
CONCURRENT_REQUESTS = 40
SLOW_PAGE = "/test-overload/slow/"
SLOW_API = "/api/v1/test-overload/slow"
# Far above what any request here may take (40 x 0.3 s spread over 2 workers x 2 threads is
# 3 s; a pool wait is 1 s): only a hung server reaches it.
CLIENT_TIMEOUT = 60
# Sustained overload: 160 slow requests at once, 4 threads serving 0.3 s each (12 s of work).
OVERLOAD_REQUESTS = 160
QUEUE_TIMEOUT = 2.0  # REQUEST_QUEUE_TIMEOUT of that server


@dataclass
class Answer:
    path: str
    status: int  # 0: the connection failed or timed out
    headers: dict[str, str]
    body: bytes
    error: str = ""
    seconds: float = 0.0  # from sending (or stamping) the request to reading the answer


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``python -m hospital.serve`` on a free port, its output in a log file."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        extra_arguments: tuple[str, ...] = (),
        environment: dict[str, str] | None = None,
    ) -> None:
        self.port = _free_port()
        self.environment = {
            **child_environment(
                {key: value for key, value in os.environ.items() if key != "CELERY_BROKER_URL"}
            ),
            "DJANGO_SETTINGS_MODULE": "tests.hospital.overload_settings",
            "DATABASE_POOL_MAX_SIZE": str(POOL_SIZE),
            "DATABASE_POOL_TIMEOUT": "1",
            "DJANGO_DEBUG": "false",
            "HOSPITAL_VAR_DIR": str(tmp_path / "var"),
            "LOG_LEVEL": "warning",
            "RATE_LIMITS_ENABLED": "false",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "2",
            **(environment or {}),
        }
        self.log_path = tmp_path / "server.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [str(ROOT / ".venv/bin/python"), "-m", "hospital.serve", *extra_arguments],
            cwd=ROOT,
            env=self.environment,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def get(self, path: str, *, timeout: float = CLIENT_TIMEOUT, stamped: bool = False) -> Answer:
        """GET ``path``; ``stamped``: with ``X-Request-Start`` set when it is sent, as a
        reverse proxy sets it when the request reaches it (nginx ``t=${msec}``)."""
        accept = "application/json" if path.startswith("/api/") else "text/html"
        headers = {"Accept": accept, "Host": "127.0.0.1"}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        started = time.time()
        if stamped:
            headers["X-Request-Start"] = f"t={started:.3f}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return Answer(
                path,
                response.status,
                {key.lower(): value for key, value in response.getheaders()},
                body,
                seconds=time.time() - started,
            )
        except (OSError, http.client.HTTPException) as error:
            return Answer(path, 0, {}, b"", repr(error), seconds=time.time() - started)
        finally:
            conn.close()

    def wait_until_up(self, seconds: float = 60) -> None:
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited: {self.log_text()[-3000:]}")
            if self.get("/healthz", timeout=5).status == 200:
                return
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer /healthz: {self.log_text()[-3000:]}")

    def command_line(self) -> list[str]:
        """The server process's command line: ``hospital.serve`` replaced itself with granian."""
        return Path(f"/proc/{self.process.pid}/cmdline").read_bytes().decode().split("\0")

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()


@contextlib.contextmanager
def _serving(
    tmp_path: Path, *extra_arguments: str, environment: dict[str, str] | None = None
) -> Iterator[Server]:
    server = Server(tmp_path, extra_arguments=extra_arguments, environment=environment)
    try:
        server.wait_until_up()
        yield server
    finally:
        server.stop()


def _burst(
    server: Server, count: int = CONCURRENT_REQUESTS, *, stamped: bool = False
) -> list[Answer]:
    """``count`` requests at once, half to the slow page and half to the slow API call."""
    paths = [SLOW_PAGE if index % 2 else SLOW_API for index in range(count)]
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda path: server.get(path, stamped=stamped), paths))


def _summary(answers: list[Answer]) -> str:
    counts = collections.Counter((a.path, a.status) for a in answers)
    seconds = sorted(a.seconds for a in answers)
    timing = f"p50 {seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.2f} s"
    return f"{sorted(counts.items())}; {timing}; {[a.error for a in answers if a.error][:3]}"


def _assert_clean_503(answer: Answer) -> None:
    assert int(answer.headers["retry-after"]) > 0, answer
    if answer.path.startswith("/api/"):
        assert answer.headers["content-type"] == "application/problem+json"
        assert json.loads(answer.body)["code"] == "SERVICE_UNAVAILABLE"
    else:
        assert answer.headers["content-type"].startswith("text/html")
        assert b"Service unavailable" in answer.body


def _assert_no_error_logged(server: Server) -> None:
    log = server.log_text()
    assert "Traceback" not in log, log[-5000:]
    assert " ERROR " not in log and "[ERROR]" not in log, log[-5000:]


def test_the_command_line_derives_threads_from_the_pool():
    arguments = granian_arguments(
        {"DATABASE_POOL_MAX_SIZE": "7", "WEB_CONCURRENCY": "3", "PORT": "9000"},
        ["--log-level", "info"],
    )

    def value(option: str) -> str:
        return arguments[arguments.index(option) + 1]

    assert value("--interface") == "wsgi"
    assert value("--workers") == "3"
    assert value("--blocking-threads") == "7"
    # Keep-alive connections count against the backpressure, idle or not: room for a proxy's.
    assert int(value("--backpressure")) >= 64
    assert value("--port") == "9000"
    assert arguments[-3:] == ["--log-level", "info", "hospital.wsgi:application"]


def test_the_launcher_empties_the_metrics_directory_before_granian_starts(tmp_path, monkeypatch):
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_4242.db").write_bytes(b"an earlier run's counters")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(directory))
    started: list[tuple[str, list[str], list[str]]] = []

    def execvp(program: str, arguments: list[str]) -> None:  # granian would replace us
        started.append((program, arguments, sorted(p.name for p in directory.iterdir())))

    monkeypatch.setattr(os, "execvp", execvp)

    serve.main(["--log-level", "warning"])

    [(program, arguments, files_when_granian_started)] = started
    assert Path(program).name == "granian"
    assert arguments[-1] == "hospital.wsgi:application"
    assert files_when_granian_started == []


def test_more_requests_than_connections_wait_for_a_thread_and_all_succeed(
    transactional_db, tmp_path
):
    with _serving(tmp_path) as server:
        command = server.command_line()
        answers = _burst(server)

        assert command[command.index("--blocking-threads") + 1] == str(POOL_SIZE)
        statuses = [a.status for a in answers]
        print(f"threads = pool = {POOL_SIZE}: {_summary(answers)}")
        assert set(statuses) <= {200, 503}, _summary(answers)
        for answer in answers:
            if answer.status == 503:
                _assert_clean_503(answer)
        # Nothing waits for the pool: each of a worker's threads holds at most its connection.
        assert statuses == [200] * CONCURRENT_REQUESTS, _summary(answers)
        _assert_no_error_logged(server)


def test_requests_that_cannot_get_a_connection_in_time_answer_503_not_500(
    transactional_db, tmp_path
):
    # More threads than connections (granian's own default would be hundreds): most requests
    # wait for the pool, and those that wait longer than DATABASE_POOL_TIMEOUT (1 s here) fail
    # in psycopg_pool's getconn() when Django opens the connection.
    with _serving(tmp_path, "--blocking-threads", "20") as server:
        answers = _burst(server)

        statuses = collections.Counter(a.status for a in answers)
        print(f"20 threads, pool of {POOL_SIZE}: {_summary(answers)}")
        assert set(statuses) <= {200, 503}, _summary(answers)
        assert statuses[503] > 0, _summary(answers)
        assert statuses[200] > 0, _summary(answers)
        for answer in answers:
            if answer.status == 503:
                _assert_clean_503(answer)
        log = server.log_text()
        assert "couldn't get a connection" in log  # each a warning line, not a traceback
        _assert_no_error_logged(server)


def test_under_sustained_overload_requests_that_waited_too_long_are_shed(
    transactional_db, tmp_path
):
    # 160 slow requests at once on 2 workers x 2 threads: served in turn, the last would wait
    # 12 s (measured without shedding: all 200, median 6.4 s, slowest 13.3 s). Stamped as a
    # proxy stamps them, those that reach Django after REQUEST_QUEUE_TIMEOUT answer 503 at
    # once, so the queue drains and the tail is gone.
    environment = {"REQUEST_QUEUE_TIMEOUT": f"{QUEUE_TIMEOUT:g}"}
    with _serving(tmp_path, environment=environment) as server:
        answers = _burst(server, OVERLOAD_REQUESTS, stamped=True)

        statuses = collections.Counter(a.status for a in answers)
        print(
            f"{OVERLOAD_REQUESTS} stamped requests, timeout {QUEUE_TIMEOUT} s: {_summary(answers)}"
        )
        assert set(statuses) <= {200, 503}, _summary(answers)
        assert statuses[503] > 0, _summary(answers)
        assert statuses[200] > 0, _summary(answers)
        for answer in answers:
            if answer.status == 503:
                _assert_clean_503(answer)
                assert QUEUE_HEADER.lower() not in answer.headers  # refused before the view
            else:
                # The middleware let through only requests within the timeout.
                assert float(answer.headers[QUEUE_HEADER.lower()]) <= QUEUE_TIMEOUT, answer
        log = server.log_text()
        assert "Shedding load" in log  # a warning line now and then, not one per request
        assert log.count("Shedding load") < statuses[503], log[-3000:]
        _assert_no_error_logged(server)


def test_querysets_read_their_rows_client_side(db):
    """No named server-side cursors (``.iterator()``, form choice fields): a round trip per
    chunk for small lists, and they fail behind PgBouncer's transaction pooling."""
    from django.contrib.auth.models import Group

    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    with connection.cursor() as cursor:
        before = cursor.execute("SELECT count(*) FROM pg_cursors").fetchone()[0]
    with transaction.atomic():
        rows = Group.objects.all().iterator()
        next(rows, None)
        with connection.cursor() as cursor:
            open_cursors = cursor.execute("SELECT count(*) FROM pg_cursors").fetchone()[0]
        list(rows)

    assert open_cursors == before
