"""Celery tasks of the accounts app: take ids (or nothing), call a service."""

from __future__ import annotations

from celery import shared_task

from accounts.services import sessions


@shared_task(name="accounts.tasks.expire_sessions")
def expire_sessions() -> int:
    return sessions.sessions_expire()


@shared_task(name="accounts.tasks.send_unlock_link")
def send_unlock_link(user_id: int) -> bool:
    """Email a locked account's owner the link that unlocks it."""
    from accounts.services.lockout import unlock_link_send

    return unlock_link_send(user_id=user_id)
