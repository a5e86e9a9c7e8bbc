"""Prometheus metrics at /metrics (core.metrics): who may read them, and what is probed.

Access: with ``METRICS_TOKEN`` set, a scraper sends ``Authorization: Bearer <token>``
(every environment). Without it, production answers 404 (the endpoint does not exist) and
development answers only loopback callers that came through no proxy.

Several processes (granian workers, Celery): set ``PROMETHEUS_MULTIPROC_DIR`` to a directory
of their own, emptied at each server start; prometheus_client then keeps every process's
metrics in files there and /metrics adds them up. Unset: one process, the default registry.
"""

import os
from pathlib import Path

from hospital.settings.base import IS_PRODUCTION, env
from hospital.settings.environment import ConfigurationError

# A bearer token is a password for a machine: long and random (e.g. `openssl rand -hex 32`).
METRICS_TOKEN = env.get_str("METRICS_TOKEN")
if METRICS_TOKEN and (len(METRICS_TOKEN) < 32 or len(set(METRICS_TOKEN)) < 8):
    raise ConfigurationError("METRICS_TOKEN", "must be at least 32 random characters")
# Without a token, answer loopback callers (development only; never configurable on).
METRICS_ALLOW_LOOPBACK = not IS_PRODUCTION

# Celery queue depth: the broker is asked at most once per this many seconds (per process),
# each time bounded by the timeout; a broker that does not answer shows hospital_broker_up 0.
METRICS_BROKER_CACHE_SECONDS = env.get_int("METRICS_BROKER_CACHE_SECONDS", 5, minimum=1)
METRICS_BROKER_TIMEOUT_SECONDS = env.get_int("METRICS_BROKER_TIMEOUT_SECONDS", 1, minimum=1)
# Queues whose depth is reported; empty: the default queue and those named in the
# CELERY_TASK_QUEUES / CELERY_TASK_ROUTES settings.
METRICS_CELERY_QUEUES = env.get_list("METRICS_CELERY_QUEUES")

# In multi-process mode each worker writes its pool gauges at most this often, on a request.
METRICS_POOL_REFRESH_SECONDS = env.get_int("METRICS_POOL_REFRESH_SECONDS", 1, minimum=1)

# Read by prometheus_client itself from the environment (before any metric exists); checked
# here so a missing or unwritable directory stops start-up with one line, not a traceback.
PROMETHEUS_MULTIPROC_DIR = env.get_str("PROMETHEUS_MULTIPROC_DIR")
if "PROMETHEUS_MULTIPROC_DIR" in env.values and not PROMETHEUS_MULTIPROC_DIR:
    # prometheus_client turns multi-process mode on when the variable merely exists, and
    # would then write its files into the working directory.
    raise ConfigurationError(
        "PROMETHEUS_MULTIPROC_DIR", "is set but empty: unset it, or name a directory"
    )
if PROMETHEUS_MULTIPROC_DIR:
    _multiproc_dir = Path(PROMETHEUS_MULTIPROC_DIR)
    try:
        _multiproc_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            "PROMETHEUS_MULTIPROC_DIR", f"cannot create the directory ({error.strerror})"
        ) from None
    if not os.access(_multiproc_dir, os.W_OK | os.X_OK):
        raise ConfigurationError("PROMETHEUS_MULTIPROC_DIR", "must be a writable directory")
