"""The project's settings plus the benchmark's ceiling view (bench/urls.py), never production's.

`DJANGO_SETTINGS_MODULE=bench.settings` serves the same application, middleware and pool as
hospital.settings; only the URL map gains /bench/ceiling.
"""

from hospital.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
