"""The project's settings plus the benchmark's ceiling view (bench/urls.py), never production's.

`DJANGO_SETTINGS_MODULE=bench.settings` serves the same application, middleware and pool as
hospital.settings; only the URL map gains /bench/ceiling.
"""

from hospital.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# Booking publishes its events (through the outbox) to the broker, as in production; no worker
# runs during the bench, so they go to a queue of their own that no other worker on this
# broker consumes, emptied after the run (bench/run.py).
CELERY_TASK_DEFAULT_QUEUE = "hospital-bench"
