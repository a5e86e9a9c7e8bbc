"""Celery tasks of the appointments app: take ids, call a service.

Each is idempotent, so each retries transient failures (``core.tasks.RETRY_TRANSIENT``);
the periodic ones are run again by beat anyway, the waitlist offer must not be lost.
"""

from __future__ import annotations

import datetime

from celery import shared_task

from appointments.services import status, waitlist
from core.tasks import MUST_NOT_BE_LOST, RETRY_TRANSIENT


@shared_task(
    name="appointments.tasks.mark_no_shows", soft_time_limit=120, time_limit=180, **RETRY_TRANSIENT
)
def mark_no_shows() -> int:
    return status.appointments_mark_no_shows()


@shared_task(
    name="appointments.tasks.expire_waitlist_holds",
    soft_time_limit=120,
    time_limit=180,
    **RETRY_TRANSIENT,
)
def expire_waitlist_holds() -> int:
    return waitlist.waitlist_expire_holds()


@shared_task(
    name="appointments.tasks.offer_freed_time",
    soft_time_limit=30,
    time_limit=60,
    **MUST_NOT_BE_LOST,
    **RETRY_TRANSIENT,
)
def offer_freed_time(practitioner_id: int, appointment_type_id: int, start_iso: str) -> str:
    # Idempotent: once the time is held for someone it is no longer free, so a redelivered
    # message offers nothing.
    hold = waitlist.waitlist_offer_time(
        practitioner_id=practitioner_id,
        appointment_type_id=appointment_type_id,
        start=datetime.datetime.fromisoformat(start_iso),
    )
    return str(hold.public_id) if hold else ""
