"""Sign-ins: POST /api/v1/auth/login from 64 threads for a fixed time; logins per second per
core, and the workers' memory while 64 sign-ins are in flight."""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from typing import Any

from bench.credentials import REAL_SIGN_IN_PASSWORD
from bench.server import Server

THREADS = 64
PATIENTS = 5000


def run(server: Server, *, seconds: int) -> dict[str, Any]:
    url = f"{server.url}/api/v1/auth/login"
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    rss_before = server.worker_rss_mib()
    peak = list(rss_before)
    stop_at = time.monotonic() + seconds
    next_patient = iter(range(10**9)).__next__

    def client() -> None:
        while time.monotonic() < stop_at:
            with lock:
                number = next_patient() % PATIENTS
            body = json.dumps(
                {"email": f"patient{number}@bench.test", "password": REAL_SIGN_IN_PASSWORD}
            ).encode()
            request = urllib.request.Request(  # noqa: S310 - our own server
                url, data=body, method="POST", headers={"Content-Type": "application/json"}
            )
            began = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with lock:
                statuses[status] += 1
                latencies.append((time.perf_counter() - began) * 1000)

    threads = [threading.Thread(target=client) for _ in range(THREADS)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        sample = server.worker_rss_mib()
        peak = [max(a, b) for a, b in zip(peak, sample, strict=False)] or sample
        time.sleep(0.5)
    elapsed = time.perf_counter() - began
    for thread in threads:
        thread.join()
    latencies.sort()
    cores = os.cpu_count() or 1
    return {
        "threads": THREADS,
        "seconds": round(elapsed, 1),
        "logins": statuses[200],
        "logins_per_second": statuses[200] / elapsed,
        "logins_per_second_per_core": statuses[200] / elapsed / cores,
        "cores": cores,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] if latencies else 0.0,
        "rss_before_mib": rss_before,
        "rss_peak_mib": peak,
        "rss_after_mib": server.worker_rss_mib(),
    }
