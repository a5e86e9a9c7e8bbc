"""The production HTTP process: ``python -m hospital.serve`` runs granian on hospital.wsgi with
threads derived from the database pool.

Each granian worker runs the WSGI application in its "blocking threads". Left to itself
granian starts up to half its backpressure (512 by default) of them on demand: under load a
worker ran ~55 threads against a pool of 10 connections, so most requests waited for a
connection, past the pool timeout, and failed. Here every worker runs exactly as many threads
as its pool has connections (DATABASE_POOL_MAX_SIZE): a request that reaches Python finds a
connection free at once. Requests beyond that wait, cheaply, before Python: in granian's
queue for a blocking thread, and connections beyond the backpressure in the kernel's listen
backlog. The pool timeout (DATABASE_POOL_TIMEOUT) then only runs out while connections are
being replaced, and such a request answers 503 with Retry-After (core.unavailable).

Requests answered from the cache need no connection (Django opens one at the first query), so
when most are, more threads than connections can serve more: ``--blocking-threads 20`` after
the command, with a pool of 10, gave 250 against 208 requests/s on the API mix at 64
connections (wrk, 2 workers), with no 503. Past the pool, a request that finds no connection
within DATABASE_POOL_TIMEOUT answers 503.

Requests beyond what the threads serve queue before Python, and under sustained overload that
queue grows: each request waits longer than the one before (160 concurrent 0.3 s requests on
2 workers x 2 threads: all 200, median 6.4 s, slowest 13.3 s). Behind a reverse proxy that
stamps each request with ``X-Request-Start`` (nginx: ``proxy_set_header X-Request-Start
"t=${msec}";``), a request that reaches Django more than REQUEST_QUEUE_TIMEOUT seconds (2)
after the proxy received it answers 503 with Retry-After before any work (core.queue_time),
so the queue drains and no one waits much longer than the timeout. granian stamps nothing:
without the proxy's stamp the time spent in its queue cannot be measured, and nothing is shed.

Before granian starts, PROMETHEUS_MULTIPROC_DIR (when set) is emptied of an earlier run's
metrics files (core.metrics_multiprocess), before any worker exists.

Environment (each has a default; anything after the command is passed on to granian):

- ``WEB_CONCURRENCY``: worker processes (default: the cores this process may run on);
- ``DATABASE_POOL_MAX_SIZE``: connections per worker, and so blocking threads per worker (10);
- ``WEB_BACKPRESSURE``: connections one worker accepts at once; more wait in the listen
  backlog (default: 8 per thread, at least 64; granian counts keep-alive connections, idle
  ones included, so a proxy's pool of keep-alive connections must fit in it);
- ``WEB_BACKLOG``: the listen backlog per worker socket (1024);
- ``HOST`` (0.0.0.0) and ``PORT`` (8000).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

APPLICATION = "hospital.wsgi:application"
DEFAULT_POOL_MAX_SIZE = 10  # as hospital/settings/services.py
CONNECTIONS_PER_THREAD = 8
MINIMUM_BACKPRESSURE = 64
DEFAULT_BACKLOG = 1024


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _positive(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(
            f"Configuration error: {name}: expected a whole number, got {raw!r}"
        ) from None
    if value < 1:
        raise SystemExit(f"Configuration error: {name}: must be at least 1, got {value}")
    return value


def granian_arguments(environ: Mapping[str, str], extra: Sequence[str] = ()) -> list[str]:
    """granian's command line for this environment (without the program name)."""
    threads = _positive(environ, "DATABASE_POOL_MAX_SIZE", DEFAULT_POOL_MAX_SIZE)
    workers = _positive(environ, "WEB_CONCURRENCY", _cores())
    backlog = max(128, _positive(environ, "WEB_BACKLOG", DEFAULT_BACKLOG))
    backpressure = _positive(
        environ, "WEB_BACKPRESSURE", max(MINIMUM_BACKPRESSURE, CONNECTIONS_PER_THREAD * threads)
    )
    return [
        "--interface",
        "wsgi",
        "--host",
        environ.get("HOST", "0.0.0.0"),  # noqa: S104 - a server process, behind the platform's proxy
        "--port",
        str(_positive(environ, "PORT", 8000)),
        "--workers",
        str(workers),
        "--blocking-threads",
        str(threads),
        "--backpressure",
        str(backpressure),
        "--backlog",
        str(backlog),
        "--no-ws",
        *extra,
        APPLICATION,
    ]


def main(argv: Sequence[str] | None = None) -> None:
    arguments = granian_arguments(os.environ, sys.argv[1:] if argv is None else argv)
    # Imported here: the launcher needs nothing else of the project (standard library only).
    from core.metrics_multiprocess import VARIABLE, reset_from_environment

    try:
        reset_from_environment()
    except OSError as error:
        raise SystemExit(f"Configuration error: {VARIABLE}: {error.strerror}") from None
    granian = Path(sys.executable).with_name("granian")
    program = str(granian) if granian.exists() else "granian"
    os.execvp(program, [program, *arguments])  # noqa: S606 - fixed program, our own arguments


if __name__ == "__main__":
    main()
