"""Logging: JSON lines in production, readable text in development; request id on every line."""

from hospital.settings.base import IS_PRODUCTION, env

LOG_FORMAT = env.get_choice("LOG_FORMAT", ("json", "text"), "json" if IS_PRODUCTION else "text")
LOG_LEVEL = env.get_choice("LOG_LEVEL", ("debug", "info", "warning", "error"), "info").upper()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.request_id.RequestIdLogFilter"}},
    "formatters": {
        "json": {"()": "core.logging.JsonFormatter"},
        "text": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # Request lines would repeat what the access log says; errors still show.
        "django.server": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "celery": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
