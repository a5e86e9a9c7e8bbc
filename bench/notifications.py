"""`make bench-notifications`: the notification pipeline's figures, written into
docs/benchmarks.md (the part between the notifications markers).

1. Event to mailbox: 10,000 account-security events (a password changed: the real event,
   subscriber, template and queues) committed in batches of 100; each becomes an email
   delivery (and an in-app one) sent by one Celery worker with 2 pool processes through a
   real SMTP server (aiosmtpd, its own process) that stamps each message's arrival. Throughput
   of the burst, and latency from each event's commit to its arrival: during the burst (mostly
   queueing) and at a paced rate of half the burst's throughput (the pipeline's own latency).
2. Fan-out: 1,000 WebSockets of reception staff (single-use tickets, uvicorn, the Redis channel
   layer) open; one schedule change is sent to the reception group; each socket stamps its
   arrival (clients in 2 processes). p50/p99/max latency; the server's RSS before and after
   the 1,000 sockets connected and idled.

Own database (hospital_bench_notifications), Redis database 9, queues prefixed
"bench-notifications-" on the local RabbitMQ. About 5 minutes.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "hospital_bench_notifications"
ENVIRONMENT = {
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "REDIS_URL": "redis://127.0.0.1:6379/9",
    "CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
    "CELERY_QUEUE_PREFIX": "bench-notifications-",
    "DJANGO_SETTINGS_MODULE": "hospital.settings",
    "LOG_LEVEL": "warning",
    "LOG_FORMAT": "text",
    "RATE_LIMITS_ENABLED": "off",
    # As in production: DEBUG keeps every query in memory and checks more on each request.
    "DJANGO_DEBUG": "off",
}
EVENTS = int(os.environ.get("BENCH_NOTIFICATIONS", "10000"))
PACED_EVENTS = int(os.environ.get("BENCH_NOTIFICATIONS_PACED", "1000"))
SOCKETS = int(os.environ.get("BENCH_SOCKETS", "1000"))
RESULTS = ROOT / "var" / "bench" / "notifications.json"
START_MARK = "<!-- notifications:start -->"
END_MARK = "<!-- notifications:end -->"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _environment(**extra: str) -> dict[str, str]:
    return {**os.environ, **ENVIRONMENT, **extra}


def _rebuild_database() -> None:
    for statement in (
        f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {DATABASE}",
    ):
        subprocess.run(  # noqa: S603 - our own fixed statements
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", statement],  # noqa: S607
            check=True,
        )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=_environment(),
        check=True,
    )


def _django() -> None:
    os.environ.update(ENVIRONMENT)
    import django

    django.setup()


def _make_people(count: int, role: str = "patient", prefix: str = "bench") -> list[Any]:
    from accounts.models import PatientProfile, User

    users = User.objects.bulk_create(
        User(email=f"{prefix}{n}@bench.example", full_name=f"Bench Person {n}", role=role)
        for n in range(count)
    )
    for user in users:
        user.set_unusable_password()
    if role == "patient":
        PatientProfile.objects.bulk_create(
            PatientProfile(
                user=user,
                medical_record_number=f"B{n:09d}",
                legal_name=user.full_name,
                date_of_birth="1980-01-01",
            )
            for n, user in enumerate(users)
        )
    return users


# --- 1. Event to mailbox ------------------------------------------------------------------


def _sink(port: int, log: Path) -> subprocess.Popen[bytes]:
    script = f"""
import time, asyncio
from aiosmtpd.controller import Controller
out = open({str(log)!r}, "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        out.write(f"{{time.time()}}\\t{{','.join(envelope.rcpt_tos)}}\\n")
        return "250 2.0.0 Ok: queued"
Controller(Handler(), hostname="127.0.0.1", port={port}).start()
while True:
    time.sleep(3600)
"""
    return subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)  # noqa: S603


def _arrivals(log: Path) -> dict[str, float]:
    arrivals: dict[str, float] = {}
    if log.exists():
        for line in log.read_text().splitlines():
            stamp, _, to = line.partition("\t")
            arrivals.setdefault(to.lower(), float(stamp))
    return arrivals


def _worker(port: int, log: Path) -> subprocess.Popen[bytes]:
    prefix = ENVIRONMENT["CELERY_QUEUE_PREFIX"]
    queues = ",".join(f"{prefix}{name}" for name in ("default", "email", "push", "sms"))
    return subprocess.Popen(  # noqa: S603 - our own worker command
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "hospital",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "2",
            "-Q",
            queues,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench-notifications-{os.getpid()}@%h",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=_environment(
            EMAIL_BACKEND="smtp",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            # Each pool process keeps its connection (one task at a time needs one).
            DATABASE_POOL_MIN_SIZE="1",
            DATABASE_POOL_MAX_SIZE="2",
        ),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _publish(users: list[Any], *, rate: float | None) -> dict[str, float]:
    """Commit one PasswordChanged event per user, 100 per transaction (or one by one at
    ``rate`` per second); returns each address's commit time."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.events import PasswordChanged
    from core.events import publish

    committed: dict[str, float] = {}
    batch = 1 if rate else 100
    started = time.monotonic()
    for index in range(0, len(users), batch):
        if rate:
            due = started + index / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        chunk = users[index : index + batch]
        with transaction.atomic():
            for user in chunk:
                publish(PasswordChanged(user_id=user.public_id, at=timezone.now(), reset=False))
        now = time.time()  # the relay to the broker runs on commit, after this line's peers
        for user in chunk:
            committed[user.email.lower()] = now
    return committed


def _wait_for(arrivals_log: Path, emails: set[str], seconds: float) -> dict[str, float]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        arrivals = _arrivals(arrivals_log)
        if emails <= arrivals.keys():
            return arrivals
        time.sleep(0.5)
    return _arrivals(arrivals_log)


def _latencies(committed: dict[str, float], arrivals: dict[str, float]) -> list[float]:
    return [arrivals[email] - at for email, at in committed.items() if email in arrivals]


def event_to_mailbox(work: Path) -> dict[str, Any]:
    from hospital.celery import app
    from notifications.models import Delivery

    users = _make_people(EVENTS + PACED_EVENTS)
    burst, paced = users[:EVENTS], users[EVENTS:]
    port = free_port()
    arrivals_log = work / "sink-arrivals.tsv"
    arrivals_log.unlink(missing_ok=True)
    sink = _sink(port, arrivals_log)
    worker = _worker(port, work / "worker.log")
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1.0):
            if time.monotonic() > deadline:
                raise RuntimeError("the bench worker did not start")
        started = time.time()
        committed = _publish(burst, rate=None)
        publish_seconds = time.time() - started
        arrivals = _wait_for(arrivals_log, set(committed), seconds=1200)
        burst_latency = _latencies(committed, arrivals)
        first, last = min(committed.values()), max(arrivals[e] for e in committed if e in arrivals)
        throughput = len(burst_latency) / (last - first)

        rate = max(1.0, throughput / 2)
        paced_committed = _publish(paced, rate=rate)
        paced_arrivals = _wait_for(arrivals_log, set(paced_committed), seconds=600)
        paced_latency = _latencies(paced_committed, paced_arrivals)
        all_arrivals = [line for line in arrivals_log.read_text().splitlines() if line]
    finally:
        os.killpg(worker.pid, 15)
        worker.wait(timeout=60)
        sink.terminate()
        sink.wait(timeout=30)
        app.control.purge()
    addresses = [line.partition("\t")[2].lower() for line in all_arrivals]
    duplicates = len(addresses) - len(set(addresses))
    return {
        "events": len(burst),
        "delivered": len(burst_latency),
        "duplicates": duplicates,
        "publish_seconds": publish_seconds,
        "throughput_per_second": throughput,
        "burst_p50_s": statistics.median(burst_latency),
        "burst_p95_s": percentile(burst_latency, 0.95),
        "paced_events": len(paced),
        "paced_rate_per_second": rate,
        "paced_delivered": len(paced_latency),
        "paced_p50_ms": statistics.median(paced_latency) * 1000,
        "paced_p95_ms": percentile(paced_latency, 0.95) * 1000,
        "paced_max_ms": max(paced_latency) * 1000,
        "in_app_sent": Delivery.objects.filter(channel="in_app", status="sent").count(),
    }


# --- 2. WebSocket fan-out ------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(match.group(1)) if match else 0


_CLIENT = """
import asyncio, json, sys, time
import websockets

async def main(url, tickets, ready_file, out_file):
    sockets = []
    for ticket in tickets:
        ws = await websockets.connect(f"{url}?ticket={ticket}", max_size=2**16)
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        sockets.append(ws)
    open(ready_file, "w").write(str(len(sockets)))
    async def one(ws):
        while True:
            message = json.loads(await ws.recv())
            if message.get("type") == "schedule.changed":
                return time.time()
    stamps = await asyncio.gather(*(one(ws) for ws in sockets))
    open(out_file, "w").write(json.dumps(stamps))
    await asyncio.sleep(1)
    for ws in sockets:
        await ws.close()

asyncio.run(main(sys.argv[1], json.loads(open(sys.argv[2]).read()), sys.argv[3], sys.argv[4]))
"""


def fan_out(work: Path) -> dict[str, Any]:
    from notifications.live import RECEPTION_GROUP
    from notifications.services.push import group_send
    from notifications.services.tickets import socket_ticket_issue

    # The reception's predicate reads the role (groups only matter in the admin).
    receptionists = _make_people(10, role="receptionist", prefix="reception")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server command
        [
            sys.executable,
            "-m",
            "uvicorn",
            "hospital.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            "--ws-max-size",
            "65536",
        ],
        cwd=ROOT,
        env=_environment(DATABASE_POOL_MIN_SIZE="0"),
        stdout=(work / "uvicorn.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    clients: list[subprocess.Popen[bytes]] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not start") from None
                time.sleep(0.2)
        time.sleep(1)
        rss_before = _rss_kib(server.pid)
        halves = 2
        per_client = SOCKETS // halves
        for half in range(halves):
            tickets = [
                socket_ticket_issue(
                    user=receptionists[(half * per_client + n) % len(receptionists)]
                )
                for n in range(per_client)
            ]
            (work / f"tickets-{half}.json").write_text(json.dumps(tickets))
            for name in (f"ready-{half}", f"stamps-{half}.json"):
                (work / name).unlink(missing_ok=True)
            clients.append(
                subprocess.Popen(  # noqa: S603 - our own client script
                    [
                        sys.executable,
                        "-c",
                        _CLIENT,
                        f"ws://127.0.0.1:{port}/ws/notifications/",
                        str(work / f"tickets-{half}.json"),
                        str(work / f"ready-{half}"),
                        str(work / f"stamps-{half}.json"),
                    ],
                    cwd=ROOT,
                )
            )
        deadline = time.monotonic() + 300
        while not all((work / f"ready-{half}").exists() for half in range(halves)):
            if time.monotonic() > deadline or any(c.poll() not in (None, 0) for c in clients):
                raise RuntimeError("the WebSocket clients did not connect")
            time.sleep(0.2)
        time.sleep(5)  # idle
        rss_after = _rss_kib(server.pid)
        sent_at = time.time()
        group_send(
            RECEPTION_GROUP,
            {"type": "schedule.changed", "practitioner": "bench", "day": "2026-12-01"},
        )
        for client in clients:
            client.wait(timeout=120)
        stamps = [
            stamp
            for half in range(halves)
            for stamp in json.loads((work / f"stamps-{half}.json").read_text())
        ]
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a thousand sockets to close: do not wait on them
            server.kill()
            server.wait(timeout=30)
    latencies = [(stamp - sent_at) * 1000 for stamp in stamps]
    return {
        "sockets": len(stamps),
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "rss_before_mib": rss_before / 1024,
        "rss_after_mib": rss_after / 1024,
        "rss_per_1000_mib": (rss_after - rss_before) / 1024 * 1000 / len(stamps),
    }


# --- Report ------------------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    mail = results["event_to_mailbox"]
    sockets = results["fan_out"]
    return f"""{START_MARK}
## Notifications

Generated by `make bench-notifications` (bench/notifications.py), {results["date"]}, commit
{results["commit"]}, {results["minutes"]:.1f} minutes; machine: {results["machine"]}. Its own
database, Redis database 9 and queues; the rest of this page is `make bench`'s.{_earlier(results)}

**Event to mailbox.** {mail["events"]:,} account-security events (a changed password: the
real event, outbox, subscriber, templates and queues) committed 100 per transaction in
{mail["publish_seconds"]:.1f} s; each made an email and an in-app delivery, sent by one Celery
worker with 2 pool processes (prefork) through a real SMTP server in its own process.

| | figure |
| --- | --- |
| emails at the SMTP server | {mail["delivered"]:,} of {mail["events"]:,}, {mail["duplicates"]} duplicates |
| throughput, first commit to last arrival | **{mail["throughput_per_second"]:.0f} emails/s** (and as many in-app pushes) |
| commit to arrival during the burst, p50 / p95 | {mail["burst_p50_s"]:.1f} s / {mail["burst_p95_s"]:.1f} s (queueing behind the burst) |
| commit to arrival at {mail["paced_rate_per_second"]:.0f} events/s (half the throughput), p50 / p95 / max | **{mail["paced_p50_ms"]:.0f} ms / {mail["paced_p95_ms"]:.0f} ms** / {mail["paced_max_ms"]:.0f} ms ({mail["paced_delivered"]:,} events) |

Reading: each event is three tasks (its handler, which writes the deliveries; the email; the
in-app push), about twenty SQL statements and three commits; the two pool processes ran at a
third of a core each, sharing the 2 cores with PostgreSQL, RabbitMQ, the SMTP server and the
publisher, so the pipeline waits on round trips more than it computes: more pool processes or
workers raise the throughput. Two fixes this bench found: Celery's Django fixup closed a
prefork process's connection pool around every task (a new PostgreSQL connection per task;
9 emails/s before, hospital/celery.py), and each email opened its own SMTP connection (now
kept per process, core/mail/smtp.py). At a steady rate below the throughput, a message is in
the mailbox about 70 ms after its change committed.

**Fan-out over WebSockets.** {sockets["sockets"]:,} sockets of reception staff (single-use
tickets) on one uvicorn process with the Redis channel layer; one schedule change sent to the
reception group; clients in 2 processes on the same 2 cores stamp each arrival.

| | figure |
| --- | --- |
| group send to arrival, p50 / p99 / max | {sockets["p50_ms"]:.0f} ms / **{sockets["p99_ms"]:.0f} ms** / {sockets["max_ms"]:.0f} ms |
| server RSS before / with the sockets idle | {sockets["rss_before_mib"]:.0f} MiB / {sockets["rss_after_mib"]:.0f} MiB: **{sockets["rss_per_1000_mib"]:.1f} MiB per 1,000 idle sockets** |

Reading: channels_redis delivers a group message to each member's channel in turn, and one
event loop then writes 1,000 frames; the last socket hears of the change about a third of a
second after the first. An idle socket costs about 0.1 MiB (its consumer, scope and session);
a WebSocket process of 1 GiB holds about 8,000. This bench also found that redis-py 8's
default read timeout (5 s) equals the layer's blocking receive, killing idle consumers, and
its 100-connection pool limit; both are set in hospital/settings/services.py.
{END_MARK}"""


def _earlier(results: dict[str, Any]) -> str:
    run = results.get("event_to_mailbox_run")
    if not run:
        return ""
    return (
        f" The event-to-mailbox figures are from the run of {run.get('date')} (commit "
        f"{run.get('commit')}); the fan-out was measured again by "
        "`python -m bench.notifications --fan-out-only`."
    )


def write(results: dict[str, Any], page: Path | None = None) -> None:
    from bench.sections import write_section

    write_section(page or ROOT / "docs" / "benchmarks.md", START_MARK, END_MARK, render(results))


def main() -> None:
    from bench.run import _git, _machine

    if sys.argv[1:2] == ["--report"]:
        write(json.loads(RESULTS.read_text()))
        return
    started = time.monotonic()
    work = ROOT / "var" / "bench" / "notifications"
    work.mkdir(parents=True, exist_ok=True)
    _rebuild_database()
    _django()
    from django.core.cache import cache

    cache.clear()
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": _git(),
        "machine": _machine(),
    }
    if sys.argv[1:2] == ["--fan-out-only"]:
        # Measure the fan-out again, keeping the saved event-to-mailbox figures.
        saved = json.loads(RESULTS.read_text())
        results["event_to_mailbox"] = saved["event_to_mailbox"]
        results["event_to_mailbox_run"] = saved.get("event_to_mailbox_run") or {
            key: saved[key] for key in ("date", "commit", "minutes") if key in saved
        }
    else:
        results["event_to_mailbox"] = event_to_mailbox(work)
        print("bench: event to mailbox", json.dumps(results["event_to_mailbox"], indent=1))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(
            json.dumps({**results, "minutes": (time.monotonic() - started) / 60}, default=str)
        )
    results["fan_out"] = fan_out(work)
    print("bench: fan-out", json.dumps(results["fan_out"], indent=1))
    results["minutes"] = (time.monotonic() - started) / 60
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    write(results)
    print(f"bench: wrote docs/benchmarks.md ({results['minutes']:.1f} minutes)")


if __name__ == "__main__":
    main()
