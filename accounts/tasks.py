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


@shared_task(name="accounts.tasks.send_account_exists_notice")
def send_account_exists_notice(address_id: int) -> None:
    """Tell an address's owner that someone tried to sign up with it."""
    from accounts.services.registration import account_exists_notice_deliver

    account_exists_notice_deliver(address_id=address_id)


@shared_task(name="accounts.tasks.send_signup_confirmation")
def send_signup_confirmation(address_id: int) -> None:
    """Mail a new account's confirmation link."""
    from accounts.services.registration import signup_confirmation_deliver

    signup_confirmation_deliver(address_id=address_id)
