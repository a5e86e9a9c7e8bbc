"""Celery tasks of the accounts app: take ids (or nothing), call a service.

A mail server or database that is briefly away is retried with backoff (``RETRY_TRANSIENT``):
the emails are re-read from the database when sent, so a retry sends the current state, and a
rare duplicate email is better than a missing unlock or confirmation link.
"""

from __future__ import annotations

from celery import shared_task

from accounts.services import sessions
from core.tasks import MUST_NOT_BE_LOST, RETRY_TRANSIENT


@shared_task(
    name="accounts.tasks.expire_sessions", soft_time_limit=120, time_limit=180, **RETRY_TRANSIENT
)
def expire_sessions() -> int:
    return sessions.sessions_expire()


@shared_task(
    name="accounts.tasks.send_unlock_link",
    soft_time_limit=30,
    time_limit=60,
    **MUST_NOT_BE_LOST,
    **RETRY_TRANSIENT,
)
def send_unlock_link(user_id: int) -> bool:
    """Email a locked account's owner the link that unlocks it."""
    from accounts.services.lockout import unlock_link_send

    return unlock_link_send(user_id=user_id)


@shared_task(
    name="accounts.tasks.send_account_exists_notice",
    soft_time_limit=30,
    time_limit=60,
    **MUST_NOT_BE_LOST,
    **RETRY_TRANSIENT,
)
def send_account_exists_notice(address_id: int) -> None:
    """Tell an address's owner that someone tried to sign up with it."""
    from accounts.services.registration import account_exists_notice_deliver

    account_exists_notice_deliver(address_id=address_id)


@shared_task(
    name="accounts.tasks.send_signup_confirmation",
    soft_time_limit=30,
    time_limit=60,
    **MUST_NOT_BE_LOST,
    **RETRY_TRANSIENT,
)
def send_signup_confirmation(address_id: int) -> None:
    """Mail a new account's confirmation link."""
    from accounts.services.registration import signup_confirmation_deliver

    signup_confirmation_deliver(address_id=address_id)
