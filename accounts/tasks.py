"""Celery tasks of the accounts app: take ids (or nothing), call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.services import sessions


@shared_task(name="accounts.tasks.expire_sessions")
def expire_sessions() -> int:
    return sessions.sessions_expire()
