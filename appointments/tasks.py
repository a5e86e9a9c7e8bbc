"""Celery tasks of the appointments app: take ids, call a service."""

from __future__ import annotations

import datetime

from celery import shared_task

from appointments.services import idempotency, status, waitlist


@shared_task(name="appointments.tasks.mark_no_shows")
def mark_no_shows() -> int:
    return status.appointments_mark_no_shows()


@shared_task(name="appointments.tasks.expire_waitlist_holds")
def expire_waitlist_holds() -> int:
    return waitlist.waitlist_expire_holds()


@shared_task(name="appointments.tasks.offer_freed_time")
def offer_freed_time(practitioner_id: int, appointment_type_id: int, start_iso: str) -> str:
    hold = waitlist.waitlist_offer_time(
        practitioner_id=practitioner_id,
        appointment_type_id=appointment_type_id,
        start=datetime.datetime.fromisoformat(start_iso),
    )
    return str(hold.public_id) if hold else ""


@shared_task(name="appointments.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return idempotency.idempotency_records_purge()
