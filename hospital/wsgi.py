"""WSGI entry point: production HTTP (e.g. `granian --interface wsgi hospital.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

application = get_wsgi_application()

from hospital.runtime import tune_garbage_collector  # noqa: E402

tune_garbage_collector()
