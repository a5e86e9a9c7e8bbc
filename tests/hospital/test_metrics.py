"""/metrics: Prometheus exposition of request latency, cache lookups, the database pool and
the Celery queues; who may read it; several processes adding up (multi-process mode)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from core import metrics_broker
from core.metrics import cache_lookup
from core.metrics_broker import celery_queue_names
from core.metrics_multiprocess import reset_directory, reset_from_environment
from tests.database_roles import child_environment
from tests.hospital.run_manage import PRODUCTION_ENV, ROOT, run_manage

TOKEN = "k3T9x-metrics-test-token-4Qw8zP2mL7vR1nB6"


@pytest.fixture(autouse=True)
def _development_access(settings: Any) -> None:
    """Development's rule unless a test says otherwise: no token, loopback callers only."""
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOW_LOOPBACK = True


def scrape(client: Client, **extra: Any) -> str:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return response.content.decode()


def samples(body: str) -> list[tuple[str, dict[str, str], float]]:
    """Every sample, parsed as Prometheus parses it (a malformed exposition raises)."""
    return [
        (sample.name, dict(sample.labels), sample.value)
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    ]


def value(body: str, name: str, **labels: str) -> float | None:
    for sample_name, sample_labels, sample_value in samples(body):
        if sample_name == name and sample_labels == labels:
            return sample_value
    return None


def label_values(body: str, name: str, label: str) -> set[str]:
    return {labels[label] for sample_name, labels, _ in samples(body) if sample_name == name}


# --- Request latency per route -------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.off_contract("an anonymous call to an appointment, to see its route label")
def test_latency_is_labelled_by_route_pattern_never_by_path(client: Client) -> None:
    appointment_id = uuid.uuid4()
    client.get("/healthz")
    before = scrape(client)
    client.get("/healthz")
    client.get(f"/api/v1/appointments/{appointment_id}")
    client.get("/no-such-page-0191/")

    body = scrape(client)

    count = "hospital_http_request_duration_seconds_count"
    healthz = {"route": "/healthz", "method": "GET", "status": "2xx"}
    assert value(body, count, **healthz) == (value(before, count, **healthz) or 0) + 1
    routes = label_values(body, count, "route")
    assert "/api/v1/appointments/<uuid:appointment_id>" in routes
    assert "<unmatched>" in routes
    assert "/metrics" in routes  # the first scrape
    assert str(appointment_id) not in body
    assert appointment_id.hex not in body
    assert "no-such-page" not in body
    bucket = value(body, "hospital_http_request_duration_seconds_bucket", **healthz, le="+Inf")
    assert bucket == value(body, count, **healthz)


@pytest.mark.django_db
def test_latency_is_recorded_under_asgi_too(client: Client) -> None:
    """`make run` serves HTTP through ASGI: the middleware's async path."""
    import asyncio

    from django.test import AsyncClient

    before = scrape(client)

    response = asyncio.run(AsyncClient().get("/healthz"))

    assert response.status_code == 200
    count = "hospital_http_request_duration_seconds_count"
    healthz = {"route": "/healthz", "method": "GET", "status": "2xx"}
    assert value(scrape(client), count, **healthz) == (value(before, count, **healthz) or 0) + 1


def test_an_invented_method_shares_one_label(client: Client) -> None:
    client.generic("BREW", "/healthz")
    client.generic("BREW2", "/healthz")

    body = scrape(client)

    methods = label_values(body, "hospital_http_request_duration_seconds_count", "method")
    assert "other" in methods
    assert not methods & {"BREW", "BREW2"}


# --- Application caches --------------------------------------------------------------------
def test_cache_lookups_are_counted_per_cache_and_result(client: Client) -> None:
    before = scrape(client)
    cache_lookup("slots", hit=True)
    cache_lookup("slots", hit=True)
    cache_lookup("slots", hit=False)
    cache_lookup("tokens", hit=False)

    body = scrape(client)

    name = "hospital_cache_lookups_total"
    for cache, result, added in [("slots", "hit", 2), ("slots", "miss", 1), ("tokens", "miss", 1)]:
        was = value(before, name, cache=cache, result=result) or 0
        assert value(body, name, cache=cache, result=result) == was + added


def _pool_in_use() -> Any:
    """This process's pool, open and used once. An earlier test may have closed the pool the
    test's own connection came from (live servers close them); Django then makes a new one,
    opened only when a new connection is needed, which a test inside a transaction never
    needs."""
    pool = connection.pool  # type: ignore[attr-defined]
    pool.open(wait=True)
    with pool.connection():
        pass
    return pool


# --- Database pool -------------------------------------------------------------------------
@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db
def test_pool_gauges_and_counters_on_postgresql(client: Client, settings: Any) -> None:
    assert connection.vendor == "postgresql"
    _pool_in_use()

    body = scrape(client)

    configured_max = settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"]
    assert value(body, "hospital_db_pool_max_connections", alias="default") == configured_max
    assert (value(body, "hospital_db_pool_connections", alias="default") or 0) >= 1
    assert value(body, "hospital_db_pool_idle_connections", alias="default") is not None
    assert value(body, "hospital_db_pool_requests_waiting", alias="default") == 0
    assert (value(body, "hospital_db_pool_requests_total", alias="default") or 0) >= 1
    assert value(body, "hospital_db_pool_request_errors_total", alias="default") is not None


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db
def test_a_request_waiting_for_a_connection_and_a_pool_timeout_are_seen(client: Client) -> None:
    from psycopg_pool import PoolTimeout

    pool = _pool_in_use()
    before = scrape(client)
    taken = []
    waiter_done = threading.Event()
    try:
        while pool.get_stats()["pool_size"] < pool.max_size or pool.get_stats()["pool_available"]:
            taken.append(pool.getconn(timeout=5))
        with pytest.raises(PoolTimeout):
            pool.getconn(timeout=0.05)

        def wait_for_a_connection() -> None:
            try:
                pool.putconn(pool.getconn(timeout=30))
            finally:
                waiter_done.set()

        # psycopg_pool keeps a waiter that timed out in its queue until a connection returns.
        waiting_before = pool.get_stats().get("requests_waiting", 0)
        waiter = threading.Thread(target=wait_for_a_connection, daemon=True)
        waiter.start()
        for _ in range(2000):  # until the thread is queued (bounded; no timing asserted)
            if pool.get_stats().get("requests_waiting", 0) > waiting_before:
                break
            waiter_done.wait(0.005)
        waiting_now = pool.get_stats()["requests_waiting"]
        during = scrape(client)
    finally:
        for held in taken:
            pool.putconn(held)
    assert waiter_done.wait(30)

    assert waiting_now > waiting_before
    assert value(during, "hospital_db_pool_requests_waiting", alias="default") == waiting_now
    assert value(during, "hospital_db_pool_idle_connections", alias="default") == 0
    errors = "hospital_db_pool_request_errors_total"
    assert (
        value(during, errors, alias="default") == (value(before, errors, alias="default") or 0) + 1
    )
    queued = "hospital_db_pool_requests_queued_total"
    assert (value(during, queued, alias="default") or 0) >= (
        value(before, queued, alias="default") or 0
    ) + 2


# --- Celery queues -------------------------------------------------------------------------
@pytest.fixture
def broker_queue(settings: Any) -> Iterator[str]:
    """A queue of our own on the real broker holding three messages; deleted afterwards."""
    from kombu import Connection, Exchange, Producer, Queue

    url = settings.CELERY_BROKER_URL
    name = f"metrics-test-{uuid.uuid4().hex[:12]}"
    queue = Queue(name, Exchange(""), routing_key=name, durable=False)
    with Connection(url, transport_options={"confirm_publish": True}) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        producer = Producer(conn.default_channel)
        for number in range(3):
            producer.publish({"n": number}, exchange="", routing_key=name, retry=True)
        try:
            yield name
        finally:
            bound.delete()


@pytest.mark.services("CELERY_BROKER_URL")
def test_queue_depth_with_the_broker_up(client: Client, settings: Any, broker_queue: str) -> None:
    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
    settings.METRICS_CELERY_QUEUES = [broker_queue, "metrics-test-never-declared"]
    settings.METRICS_BROKER_CACHE_SECONDS = 600

    body = scrape(client)

    assert value(body, "hospital_broker_up") == 1
    assert value(body, "hospital_celery_queue_messages", queue=broker_queue) == 3
    assert value(body, "hospital_celery_queue_consumers", queue=broker_queue) == 0
    # A queue the broker does not know has no series (not a made-up 0).
    assert "metrics-test-never-declared" not in body


@pytest.mark.services("CELERY_BROKER_URL")
def test_the_broker_is_asked_once_per_cache_period(
    client: Client, settings: Any, broker_queue: str
) -> None:
    from kombu import Connection, Producer

    settings.CELERY_BROKER_URL = os.environ["CELERY_BROKER_URL"]
    settings.METRICS_CELERY_QUEUES = [broker_queue]
    settings.METRICS_BROKER_CACHE_SECONDS = 600
    first = scrape(client)
    with Connection(settings.CELERY_BROKER_URL) as conn:
        Producer(conn.default_channel).publish({}, exchange="", routing_key=broker_queue)

    second = scrape(client)

    assert value(first, "hospital_celery_queue_messages", queue=broker_queue) == 3
    assert value(second, "hospital_celery_queue_messages", queue=broker_queue) == 3


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_broker_down_is_a_gauge_not_an_error(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{_closed_port()}//"
    settings.METRICS_CELERY_QUEUES = ["celery"]

    body = scrape(client)

    assert value(body, "hospital_broker_up") == 0
    assert "hospital_celery_queue_messages" not in body


def test_a_broker_that_accepts_but_never_answers_is_down(client: Client, settings: Any) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        settings.CELERY_BROKER_URL = f"amqp://guest:guest@127.0.0.1:{silent.getsockname()[1]}//"
        settings.METRICS_BROKER_TIMEOUT_SECONDS = 1

        body = scrape(client)

    assert value(body, "hospital_broker_up") == 0


def test_without_a_broker_there_is_no_broker_metric(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = ""

    body = scrape(client)

    assert "hospital_broker_up" not in body
    assert metrics_broker.broker_reading() is None


def test_queue_names_come_from_the_celery_settings(settings: Any) -> None:
    from kombu import Queue

    settings.METRICS_CELERY_QUEUES = []
    settings.CELERY_TASK_DEFAULT_QUEUE = "default"
    settings.CELERY_TASK_QUEUES = [Queue("default"), Queue("sms")]
    settings.CELERY_TASK_ROUTES = {"accounts.tasks.*": {"queue": "mail"}, "x.y": "not-a-dict"}
    assert celery_queue_names() == ("default", "sms", "mail")

    settings.METRICS_CELERY_QUEUES = ["only-this"]
    assert celery_queue_names() == ("only-this",)


def test_queue_names_default_to_celerys_default_queue(settings: Any) -> None:
    settings.METRICS_CELERY_QUEUES = []
    for name in ("CELERY_TASK_DEFAULT_QUEUE", "CELERY_TASK_QUEUES", "CELERY_TASK_ROUTES"):
        if hasattr(settings, name):
            delattr(settings, name)
    assert celery_queue_names() == ("celery",)


# --- Who may read it -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("remote_addr", "extra", "expected"),
    [
        ("127.0.0.1", {}, 200),
        ("::1", {}, 200),
        ("10.1.2.3", {}, 404),
        ("127.0.0.1", {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}, 404),
        ("127.0.0.1", {"HTTP_FORWARDED": "for=203.0.113.9"}, 404),
    ],
)
def test_development_without_a_token_answers_loopback_only(
    client: Client, remote_addr: str, extra: dict[str, Any], expected: int
) -> None:
    response = client.get("/metrics", REMOTE_ADDR=remote_addr, **extra)

    assert response.status_code == expected


def test_production_without_a_token_has_no_metrics(client: Client, settings: Any) -> None:
    settings.METRICS_ALLOW_LOOPBACK = False

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 404
    assert b"hospital_" not in response.content


@pytest.mark.parametrize(
    ("authorization", "expected"),
    [
        (None, 401),
        ("Bearer wrong-token", 401),
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN}x", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_production_needs_the_bearer_token(
    client: Client, settings: Any, authorization: str | None, expected: int
) -> None:
    settings.METRICS_ALLOW_LOOPBACK = False
    settings.METRICS_TOKEN = TOKEN
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", REMOTE_ADDR="198.51.100.7", **headers)

    assert response.status_code == expected
    if expected == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"hospital_" not in response.content
    else:
        assert "hospital_http_request_duration_seconds" in {
            family.name for family in text_string_to_metric_families(response.content.decode())
        }


def test_a_configured_token_is_needed_in_development_too(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_metrics_answers_without_a_session_or_a_database_query(
    client: Client, settings: Any, django_assert_num_queries: Any
) -> None:
    settings.CELERY_BROKER_URL = ""
    with django_assert_num_queries(0):
        response = client.get("/metrics")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_other_methods_are_refused_not_failed(client: Client) -> None:
    assert client.post("/metrics").status_code == 405
    assert client.head("/metrics").status_code == 405


@pytest.mark.django_db
def test_metrics_is_not_in_the_api_schema(client: Client) -> None:
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert not [path for path in response.json()["paths"] if "metrics" in path]


def test_production_settings_keep_metrics_closed_without_a_token(tmp_path: Path) -> None:
    script = "from django.conf import settings; print(settings.METRICS_ALLOW_LOOPBACK)"
    result = run_manage("shell", "-c", script, env=PRODUCTION_ENV, tmp_var=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"

    weak = run_manage("check", env={**PRODUCTION_ENV, "METRICS_TOKEN": "short"}, tmp_var=tmp_path)
    assert weak.returncode != 0
    assert "METRICS_TOKEN" in weak.stderr
    assert "Traceback" not in weak.stderr


# --- Several processes (PROMETHEUS_MULTIPROC_DIR) ------------------------------------------
_CHILD = textwrap.dedent(
    """
    import sys

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from core.metrics import MULTIPROCESS, cache_lookup

    assert MULTIPROCESS
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    connection.close()  # back to the pool
    for _ in range(int(sys.argv[1])):
        cache_lookup("slots", hit=True)
    client = Client()
    client.get("/healthz")  # a request: this worker writes its pool figures
    if sys.argv[2] == "scrape":
        print(client.get("/metrics").content.decode())
    else:
        print("ready", flush=True)
        sys.stdin.readline()  # stays alive until told
    """
)


def _child_env(multiproc_dir: Path) -> dict[str, str]:
    env = child_environment(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hospital.settings",
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir),
            "CELERY_BROKER_URL": "",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _scrape_in_child(env: dict[str, str], cache_hits: int) -> str:
    result = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", _CHILD, str(cache_hits), "scrape"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.services("DATABASE_URL")
@pytest.mark.django_db
def test_several_processes_add_up_and_a_dead_worker_drops_out(tmp_path: Path) -> None:
    env = _child_env(tmp_path / "metrics")
    worker = subprocess.Popen(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", _CHILD, "3", "wait"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready", worker.stderr
        both = _scrape_in_child(env, 2)
    finally:
        worker.send_signal(signal.SIGKILL)  # no clean exit: its gauges must still go
        worker.wait(timeout=30)
    alone = _scrape_in_child(env, 0)

    hits = {"cache": "slots", "result": "hit"}
    healthz = {"route": "/healthz", "method": "GET", "status": "2xx"}
    count = "hospital_http_request_duration_seconds_count"
    maximum = "hospital_db_pool_max_connections"
    per_process = connection.settings_dict["OPTIONS"]["pool"]["max_size"]
    assert value(both, "hospital_cache_lookups_total", **hits) == 5
    assert value(both, count, **healthz) == 2
    assert value(both, maximum, alias="default") == 2 * per_process
    # Counters keep what the dead worker counted; gauges count living processes only.
    assert value(alone, "hospital_cache_lookups_total", **hits) == 5
    assert value(alone, count, **healthz) == 3
    assert value(alone, maximum, alias="default") == per_process


@pytest.mark.parametrize(
    ("value_of", "problem"),
    [
        (lambda tmp: "", "set but empty"),
        (lambda tmp: str(tmp / "a-file" / "metrics"), "cannot create"),
    ],
)
def test_a_bad_multiprocess_directory_stops_start_up_with_one_line(
    tmp_path: Path, value_of: Any, problem: str
) -> None:
    (tmp_path / "a-file").write_text("not a directory")

    result = run_manage(
        "check", env={"PROMETHEUS_MULTIPROC_DIR": value_of(tmp_path)}, tmp_var=tmp_path
    )

    assert result.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(Path(ROOT).glob("*.db"))  # no metrics files in the working directory


def test_the_multiprocess_directory_is_emptied_of_metrics_files_only(tmp_path: Path) -> None:
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_123.db").write_bytes(b"old")
    (directory / "gauge_livesum_123.db").write_bytes(b"old")
    (directory / "README").write_text("kept")

    assert reset_directory(directory) == 2

    assert sorted(p.name for p in directory.iterdir()) == ["README"]
    assert reset_from_environment({}) is None
    assert reset_from_environment({"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "new")}) == 0
    assert (tmp_path / "new").is_dir()


def test_the_reset_command_reads_the_environment(tmp_path: Path) -> None:
    (tmp_path / "histogram_9.db").write_bytes(b"old")
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}

    result = subprocess.run(
        [sys.executable, "-m", "core.metrics_multiprocess"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "1 metrics file(s) removed" in result.stdout
    assert not list(tmp_path.glob("*.db"))
