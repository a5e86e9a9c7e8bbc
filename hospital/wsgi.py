"""WSGI entry point: production HTTP, served by `python -m hospital.serve` (granian, with
threads derived from the database pool: see hospital/serve.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

application = get_wsgi_application()

from hospital.runtime import tune_garbage_collector  # noqa: E402

tune_garbage_collector()
