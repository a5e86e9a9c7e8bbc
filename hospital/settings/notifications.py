"""Notifications: the email and SMS transports, the mail queue, retries, sweeps, queues.

Every email (ours, Django's, allauth's) goes through the mail queue (``EMAIL_BACKEND`` is
notifications.mail.QueuedEmailBackend): a delivery row in the caller's transaction, sent by a
worker through ``NOTIFICATIONS_EMAIL_TRANSPORT`` (what the EMAIL_BACKEND variable chooses:
smtp, sendgrid, console, file, locmem). A mail server that is down delays a message; it never
fails the request that caused it.
"""

import datetime

from kombu import Exchange, Queue

from hospital.settings.auth import ACCOUNT_DEFAULT_HTTP_PROTOCOL
from hospital.settings.auth import EMAIL_BACKEND as _EMAIL_TRANSPORT
from hospital.settings.base import SITE_DOMAIN, env
from hospital.settings.celery import CELERY_BEAT_SCHEDULE as _BEAT_SCHEDULE

# Django's SMTP backend, with a send that can stop before the end of DATA (core.mail.smtp):
# the delivery is marked sent in the database between the two, so a worker killed mid-send
# leaves either no message and a pending row, or a message and a sent row.
NOTIFICATIONS_EMAIL_TRANSPORT = (
    "core.mail.smtp.EmailBackend"
    if _EMAIL_TRANSPORT == "django.core.mail.backends.smtp.EmailBackend"
    else _EMAIL_TRANSPORT
)
EMAIL_BACKEND = "notifications.mail.QueuedEmailBackend"

# Where links in messages point (emails and SMS are read outside the site): the site's
# domain, as allauth's links use it.
HOSPITAL_PUBLIC_URL = f"{ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{SITE_DOMAIN}".rstrip("/")

# Twilio calls back with each SMS's delivery status (notifications.webhooks), on
# HOSPITAL_PUBLIC_URL, which must then be reachable from the internet.
TWILIO_STATUS_CALLBACKS = env.get_bool("TWILIO_STATUS_CALLBACKS", default=False)

# A failed send is tried again after BASE * 2^(attempts-1) seconds (at most MAX), plus up to a
# fifth more at random; after MAX_ATTEMPTS sends it is failed (the admin's dead-letter list).
NOTIFICATIONS_RETRY_BASE_SECONDS = env.get_int("NOTIFICATIONS_RETRY_BASE_SECONDS", 30, minimum=1)
NOTIFICATIONS_RETRY_MAX_SECONDS = env.get_int("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600, minimum=1)
NOTIFICATIONS_MAX_ATTEMPTS = env.get_int("NOTIFICATIONS_MAX_ATTEMPTS", 8, minimum=1)
# A delivery still pending this long after it was queued (its task lost: the broker was down
# at the commit, a queue was purged) is queued again by the sweep.
NOTIFICATIONS_REQUEUE_AFTER_SECONDS = env.get_int(
    "NOTIFICATIONS_REQUEUE_AFTER_SECONDS", 60, minimum=1
)
# How often Celery beat sweeps (also `manage.py notifications_sweep`): retries that are due,
# reminders and quiet-hour deferrals whose time has come, lost tasks.
NOTIFICATIONS_SWEEP_SECONDS = env.get_int("NOTIFICATIONS_SWEEP_SECONDS", 15, minimum=1)
# The readiness check fails when an outbox row or a delivery has waited longer than this.
NOTIFICATIONS_BACKLOG_ALERT_SECONDS = env.get_int(
    "NOTIFICATIONS_BACKLOG_ALERT_SECONDS", 600, minimum=30
)
# Reminders before an appointment, in hours, unless its type names its own.
NOTIFICATIONS_DEFAULT_REMINDER_HOURS = [
    int(hours) for hours in env.get_list("NOTIFICATIONS_DEFAULT_REMINDER_HOURS", ["24", "2"])
]

# One queue per channel, so a slow SMS provider never holds up emails; `default` for the rest.
# CELERY_QUEUE_PREFIX keeps deployments (or the benchmark) that share a broker apart.
CELERY_QUEUE_PREFIX = env.get_str("CELERY_QUEUE_PREFIX", "")
CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_QUEUE_PREFIX}default"
# Each queue on an exchange and routing key of its own: a Queue given only a name is bound
# to the default queue's exchange and key, so every message would reach every queue.
CELERY_TASK_QUEUES = [
    Queue(
        f"{CELERY_QUEUE_PREFIX}{name}",
        Exchange(f"{CELERY_QUEUE_PREFIX}{name}"),
        routing_key=f"{CELERY_QUEUE_PREFIX}{name}",
    )
    for name in ("default", "email", "sms", "push")
]
CELERY_TASK_ROUTES = {
    f"notifications.tasks.send_{channel}": {"queue": f"{CELERY_QUEUE_PREFIX}{channel}"}
    for channel in ("email", "sms", "push")
}

CELERY_BEAT_SCHEDULE = {
    **_BEAT_SCHEDULE,
    "notifications-sweep": {
        "task": "notifications.tasks.sweep",
        "schedule": datetime.timedelta(seconds=NOTIFICATIONS_SWEEP_SECONDS),
        "options": {"expires": NOTIFICATIONS_SWEEP_SECONDS},
    },
}
