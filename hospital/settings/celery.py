"""Celery's limits and the transactional outbox (the broker URL is in services.py).

Every task has a soft and a hard time limit (defaults here, tighter ones per task); tasks
that must not be lost are acknowledged late and requeued when their worker dies; idempotent
work retries transient failures with exponential backoff and jitter (``core.tasks``).
"""

import datetime

from hospital.settings.appointments import CELERY_BEAT_SCHEDULE as _APP_SCHEDULE
from hospital.settings.audit import AUDIT_BEAT_SCHEDULE
from hospital.settings.base import env
from hospital.settings.services import CELERY_BROKER_URL

# A task past its soft limit gets SoftTimeLimitExceeded (it can clean up); past the hard
# limit its worker process is killed and replaced. Per-task limits in the tasks modules.
CELERY_TASK_SOFT_TIME_LIMIT = env.get_int("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env.get_int(
    "CELERY_TASK_TIME_LIMIT",
    CELERY_TASK_SOFT_TIME_LIMIT + 30,
    minimum=CELERY_TASK_SOFT_TIME_LIMIT + 1,
)

# A publish (a web request's, or the outbox relay's) gives up on a broker that is away after
# one quick retry instead of retrying for the whole connection timeout: the outbox retries
# with its own backoff. Workers reconnect on their own terms (CELERY_BROKER_CONNECTION_RETRY*).
# On AMQP the broker confirms each message (publisher confirms) before a row counts as sent.
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
if CELERY_BROKER_URL.startswith(("amqp", "pyamqp")):
    CELERY_BROKER_TRANSPORT_OPTIONS["confirm_publish"] = True
# A broker that does not answer must not hold a request for long.
CELERY_BROKER_CONNECTION_TIMEOUT = env.get_int("CELERY_BROKER_CONNECTION_TIMEOUT", 4, minimum=1)

# The outbox (core.models.OutboxMessage): a row that could not be sent is tried again after
# OUTBOX_RETRY_BASE_SECONDS * 2^(attempts-1), at most OUTBOX_RETRY_MAX_SECONDS, plus jitter.
OUTBOX_RETRY_BASE_SECONDS = env.get_int("OUTBOX_RETRY_BASE_SECONDS", 10, minimum=1)
OUTBOX_RETRY_MAX_SECONDS = env.get_int("OUTBOX_RETRY_MAX_SECONDS", 900, minimum=1)
# A row sent but not handled this long after (its message lost, its handler failing) is sent
# again, up to OUTBOX_MAX_ATTEMPTS sends; longer than any task's hard time limit.
OUTBOX_REDISPATCH_AFTER_SECONDS = env.get_int(
    "OUTBOX_REDISPATCH_AFTER_SECONDS", 3600, minimum=CELERY_TASK_TIME_LIMIT + 1
)
OUTBOX_MAX_ATTEMPTS = env.get_int("OUTBOX_MAX_ATTEMPTS", 20, minimum=1)
# Handled rows are forgotten after this many days (by the sweep).
OUTBOX_KEEP_HANDLED_DAYS = env.get_int("OUTBOX_KEEP_HANDLED_DAYS", 7, minimum=1)
# How often Celery beat sweeps the outbox (also: `manage.py relay_outbox`).
OUTBOX_SWEEP_SECONDS = env.get_int("OUTBOX_SWEEP_SECONDS", 30, minimum=1)

CELERY_BEAT_SCHEDULE = {
    **_APP_SCHEDULE,
    **AUDIT_BEAT_SCHEDULE,
    "core-relay-outbox": {
        "task": "core.tasks.relay_outbox",
        "schedule": datetime.timedelta(seconds=OUTBOX_SWEEP_SECONDS),
        # A sweep not started within one period is superseded by the next one.
        "options": {"expires": OUTBOX_SWEEP_SECONDS},
    },
}
