"""Project settings, driven entirely by environment variables.

With nothing set, the app runs on embedded defaults (SQLite, local-memory cache,
in-process Celery, in-memory channel layer). See README.md for the table of
variables. A malformed variable stops start-up with one line naming it.
"""

import django_stubs_ext

from hospital.settings.environment import ConfigurationError

# Lets generic admin and form classes be parametrised at run time (ModelAdmin[Appointment]),
# as django-stubs types them.
django_stubs_ext.monkeypatch()

try:
    from hospital.settings.api import *  # noqa: F403
    from hospital.settings.appointments import *  # noqa: F403
    from hospital.settings.audit import *  # noqa: F403
    from hospital.settings.auth import *  # noqa: F403
    from hospital.settings.base import *  # noqa: F403
    from hospital.settings.celery import *  # noqa: F403
    from hospital.settings.logging import *  # noqa: F403
    from hospital.settings.metrics import *  # noqa: F403
    from hospital.settings.notifications import *  # noqa: F403
    from hospital.settings.security import *  # noqa: F403
    from hospital.settings.services import *  # noqa: F403
except ConfigurationError as error:
    # One readable line instead of a traceback wall, for every entry point
    # (manage.py, uvicorn, granian, celery, pytest).
    raise SystemExit(f"Configuration error: {error}") from None
