"""The hospital platform's project package: settings, URLs, ASGI/WSGI entry points, Celery app."""

from hospital.celery import app as celery_app

__all__ = ("celery_app",)
