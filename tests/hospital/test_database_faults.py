"""PostgreSQL faults against the production HTTP process (granian, WSGI, 2 workers).

The app reaches PostgreSQL through a TCP proxy this test controls (``PostgresProxy``):
stopping it refuses new connections and cuts the open ones, as a stopped or restarted
PostgreSQL does; a blackhole cuts the open ones and leaves new ones unanswered, as a vanished
host does (only a connect timeout ends those); starting it again is PostgreSQL coming back. Backends are also ended with
``pg_terminate_backend`` on the real server. Requests are made signed in, as a patient and as a
clinician with a verified second factor, to pages and to the API.

What must hold: while the database is away every signed-in page and API call answers 503 with
a body and ``Retry-After`` (a page, or problem details with ``code: SERVICE_UNAVAILABLE``), no
empty 500 and no request hanging past the client's bound; /readyz answers 503; when the
database is back /readyz is 200 again within 10 s and pages work, with the same worker
processes; terminated backends under load give no 500.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.db import connection
from django.test import Client

from tests.conftest import login_verified
from tests.database_roles import child_database_url, child_environment
from tests.factories import PatientProfileFactory, StaffProfileFactory

pytestmark = [pytest.mark.services("DATABASE_URL", "REDIS_URL")]

ROOT = Path(__file__).resolve().parents[2]
APPLICATION_NAME = "hospital-fault-test"
POOL_TIMEOUT = 2
CONNECT_TIMEOUT = 2
# A request may wait for the pool once (POOL_TIMEOUT); anything much slower is a hang.
CLIENT_TIMEOUT = 4 * POOL_TIMEOUT + 2
OUTAGE_SECONDS = 16


class PostgresProxy:
    """A loopback TCP proxy in front of PostgreSQL that can be stopped (connections refused,
    open ones reset) and started again on the same port."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.WriteTransport] = set()
        self._blackholed = False

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def start(self) -> None:
        self._call(self._start())

    def stop(self) -> None:
        self._call(self._stop())

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def blackhole(self) -> None:
        """The database host stops answering: open connections are cut, new ones are accepted
        and never answered (as when packets to a vanished host are dropped)."""
        self._call(self._blackhole())

    async def _start(self) -> None:
        self._blackholed = False
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _blackhole(self) -> None:
        self._blackholed = True
        self._abort_all()

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self._abort_all()

    def _abort_all(self) -> None:
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._blackholed:
            self._transports.add(writer.transport)  # held open, never answered
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.transport.abort()
            return
        pair = {writer.transport, upstream_writer.transport}
        self._transports |= pair

        async def pipe(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    target.write(data)
                    await target.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                target.transport.abort()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._transports -= pair


@dataclass
class Answer:
    path: str
    status: int  # 0: no answer within CLIENT_TIMEOUT (a hang) or the connection failed
    body: bytes
    headers: dict[str, str]
    seconds: float
    error: str = ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServer:
    """granian serving hospital.wsgi with two workers, as the production process type."""

    def __init__(self, *, database_url: str, tmp_path: Path) -> None:
        self.port = _free_port()
        env = child_environment(
            {
                key: value
                for key, value in os.environ.items()
                if key not in {"CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
            }
        )
        env.update(
            {
                "DATABASE_URL": database_url,
                "DATABASE_POOL_TIMEOUT": str(POOL_TIMEOUT),
                "DJANGO_DEBUG": "false",
                "HOSPITAL_VAR_DIR": str(tmp_path / "var"),
                "LOG_LEVEL": "warning",
            }
        )
        self.log_path = tmp_path / "granian.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [
                str(ROOT / ".venv/bin/granian"),
                "--interface",
                "wsgi",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                "2",
                "hospital.wsgi:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def request(
        self, path: str, *, cookie: str = "", accept: str = "text/html", timeout: float = 0
    ) -> Answer:
        started = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout or CLIENT_TIMEOUT)
        headers = {"Accept": accept, "Host": "127.0.0.1"}
        if cookie:
            headers["Cookie"] = f"sessionid={cookie}"
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return Answer(
                path,
                response.status,
                body,
                {key.lower(): value for key, value in response.getheaders()},
                time.monotonic() - started,
            )
        except (OSError, http.client.HTTPException) as error:
            return Answer(path, 0, b"", {}, time.monotonic() - started, repr(error))
        finally:
            conn.close()

    def wait_until_ready(self, seconds: float) -> float | None:
        """Seconds until /readyz answered 200, or None if it did not within ``seconds``."""
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            if self.process.poll() is not None:
                raise AssertionError(f"granian exited: {self.log_path.read_text()[-3000:]}")
            if self.request("/readyz", accept="application/json", timeout=5).status == 200:
                return time.monotonic() - started
            time.sleep(0.2)
        return None

    def pools_settle(self, answers_in_a_row: int = 6, seconds: float = 10) -> bool:
        """Whether /readyz reports, that many times in a row (the two workers answer in turn),
        a pool with every connection idle in it."""
        started, settled = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            answer = self.request("/readyz", accept="application/json", timeout=5)
            pool = (
                json.loads(answer.body or b"{}").get("checks", {}).get("database", {}).get("pool")
            )
            settled = settled + 1 if pool and pool["available"] == pool["size"] else 0
            if settled >= answers_in_a_row:
                return True
            time.sleep(0.1)
        return False

    def worker_pids(self) -> set[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def stop(self) -> bool:
        """SIGTERM; True if granian exited on it, False if it needed SIGKILL (a wedged worker)."""
        if self.process.poll() is not None:
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
            return False
        finally:
            self._log.close()


@dataclass
class SignedIn:
    patient_cookie: str
    clinician_cookie: str

    def requests(self) -> list[tuple[str, str, str]]:
        """(path, cookie, accept) of every signed-in page and API call the test makes."""
        patient, clinician = self.patient_cookie, self.clinician_cookie
        html, api = "text/html", "application/json"
        return [
            ("/appointments/", patient, html),
            ("/accounts/", patient, html),
            ("/accounts/security/", patient, html),
            ("/api/v1/account/me", patient, api),
            ("/api/v1/appointments", patient, api),
            ("/appointments/schedule/", clinician, html),
            ("/accounts/", clinician, html),
            ("/api/v1/account/me", clinician, api),
            ("/api/v1/appointments", clinician, api),
        ]


def _superuser_connection() -> psycopg.Connection:
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"],
        dbname=settings["NAME"],
        autocommit=True,
    )


def _terminate_app_backends() -> int:
    with _superuser_connection() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND pid <> pg_backend_pid()",
            [APPLICATION_NAME],
        ).fetchall()
    return len(rows)


@pytest.fixture
def signed_in(transactional_db) -> SignedIn:
    """A patient and a clinician (verified TOTP factor) signed in; sessions committed to
    PostgreSQL and Redis, where the server process reads them."""
    patient = PatientProfileFactory.create().user
    clinician = StaffProfileFactory.create().user
    patient_client, clinician_client = Client(), Client()
    patient_client.force_login(patient)
    login_verified(clinician_client, clinician)
    return SignedIn(
        patient_cookie=patient_client.cookies["sessionid"].value,
        clinician_cookie=clinician_client.cookies["sessionid"].value,
    )


@pytest.fixture
def app_server(signed_in, tmp_path) -> Iterator[tuple[AppServer, PostgresProxy]]:
    settings = connection.settings_dict
    proxy = PostgresProxy(settings["HOST"] or "127.0.0.1", int(settings["PORT"] or 5432))
    proxy.start()
    database_url = (
        f"{child_database_url(host='127.0.0.1', port=proxy.port)}"
        f"?application_name={APPLICATION_NAME}&connect_timeout={CONNECT_TIMEOUT}"
    )
    server = AppServer(database_url=database_url, tmp_path=tmp_path)
    try:
        assert server.wait_until_ready(60) is not None, server.log_path.read_text()[-3000:]
        yield server, proxy
    finally:
        server.stop()
        proxy.close()
        _terminate_app_backends()


def _all(server: AppServer, requests: list[tuple[str, str, str]]) -> list[Answer]:
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(lambda r: server.request(r[0], cookie=r[1], accept=r[2]), requests))


def _all_ok_within(
    server: AppServer, requests: list[tuple[str, str, str]], seconds: float
) -> tuple[float | None, list[Answer]]:
    """Seconds until every request answered 200 in one round (each worker's pool recovers on
    its own: one worker's 200 on /readyz says nothing of the other's), or None."""
    started = time.monotonic()
    answers = _all(server, requests)
    while time.monotonic() - started < seconds:
        if all(a.status == 200 for a in answers):
            return time.monotonic() - started, answers
        time.sleep(0.2)
        answers = _all(server, requests)
    return None, answers


def _summary(answers: list[Answer]) -> str:
    return "\n".join(
        f"{a.path}: {a.status} {a.seconds:.1f}s {a.error} {a.body[:120]!r}" for a in answers
    )


def test_postgresql_stopped_restarted_and_backends_terminated_signed_in(app_server, signed_in):
    """One server for both faults (starting granian is most of the run time)."""
    server, proxy = app_server
    requests = signed_in.requests()
    workers = server.worker_pids()
    assert len(workers) == 2

    # Arrange: everything works, signed in as both.
    answers = _all(server, requests)
    assert [a.status for a in answers] == [200] * len(requests), _summary(answers)

    # Act: the database host stops answering, then PostgreSQL is down (refusing connections),
    # for longer than psycopg_pool's first reconnection backoffs (1, 2, 4, 8 s).
    proxy.blackhole()
    outage_started = time.monotonic()
    answers = []
    while time.monotonic() - outage_started < OUTAGE_SECONDS:
        if time.monotonic() - outage_started > OUTAGE_SECONDS / 2:
            proxy.stop()
        answers += _all(server, requests)
    readiness = server.request("/readyz", accept="application/json")

    # Assert: 503 with a body and Retry-After everywhere, no hang; /readyz 503.
    assert [a.status for a in answers] == [503] * len(answers), _summary(answers)
    for answer in answers:
        assert answer.body.strip(), answer
        assert int(answer.headers["retry-after"]) > 0
        if answer.path.startswith("/api/"):
            assert answer.headers["content-type"] == "application/problem+json"
            assert json.loads(answer.body)["code"] == "SERVICE_UNAVAILABLE"
        else:
            assert answer.headers["content-type"].startswith("text/html")
            assert b"Service unavailable" in answer.body
    assert readiness.status == 503
    assert json.loads(readiness.body)["checks"]["database"]["ok"] is False
    slowest = max(a.seconds for a in answers)

    # Act: PostgreSQL is back.
    proxy.start()
    recovered_after = server.wait_until_ready(10)

    # Assert: ready within 10 s, pages work, the same worker processes serve them.
    print(f"outage: {len(answers)} answers, slowest {slowest:.1f}s; ready {recovered_after}s after")
    assert recovered_after is not None, "/readyz still 503 10 s after PostgreSQL came back"
    all_ok_after, answers = _all_ok_within(server, requests, 10)
    print(f"every page and call 200 again {all_ok_after}s after /readyz")
    assert all_ok_after is not None, _summary(answers)

    # Act: four clients keep asking while PostgreSQL ends the app's backends three times.
    answers = []
    stop = threading.Event()

    def keep_asking(offset: int) -> None:
        index = offset
        while not stop.is_set():
            path, cookie, accept = requests[index % len(requests)]
            answers.append(server.request(path, cookie=cookie, accept=accept))
            index += 1

    terminated = 0
    with ThreadPoolExecutor(max_workers=4) as pool:
        for offset in range(4):
            pool.submit(keep_asking, offset)
        for _ in range(3):
            time.sleep(1)
            terminated += _terminate_app_backends()
        time.sleep(1)
        stop.set()

    # Assert: no 500 and no hang (a request whose query was cut answers 503); ready; all 200
    # afterwards, from the same workers: nothing needed a restart.
    statuses = [a.status for a in answers]
    print(f"terminated {terminated}; answers {sorted(collections.Counter(statuses).items())}")
    assert terminated > 0
    assert set(statuses) <= {200, 503}, _summary([a for a in answers if a.status not in {200, 503}])
    assert statuses.count(200) > 0
    # The pool replaces the connections PostgreSQL ended in the background; a probe that
    # arrives while it does may wait out the pool timeout once. Ready again within 10 s.
    ready_again_after = server.wait_until_ready(10)
    print(f"ready {ready_again_after}s after the terminations")
    assert ready_again_after is not None, "/readyz still 503 10 s after the terminations"
    all_ok_after, answers = _all_ok_within(server, requests, 10)
    assert all_ok_after is not None, _summary(answers)
    assert server.worker_pids() == workers
    # Every pooled connection is back in its pool once the traffic has stopped: none leaked.
    assert server.pools_settle(), "a worker's pool keeps connections checked out"
    assert server.stop(), "granian did not stop on SIGTERM"
