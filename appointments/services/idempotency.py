"""Idempotency-Key handling for POSTs that create or change bookings.

The first request with a key stores its result (success or refusal) in the same
transaction as its effect; a retry with the same key and body gets that stored result and
changes nothing; the same key with a different body is refused (422).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from appointments.errors import IdempotencyInProgress, IdempotencyKeyReused
from appointments.models import IdempotencyRecord
from core.errors import DomainError, problem_body

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def validate_key(key: str) -> None:
    if not _KEY.match(key):
        from django.core.exceptions import ValidationError

        raise ValidationError(
            {
                "Idempotency-Key": "Use 8 to 128 letters, digits, '-', '_', '.' or ':' (a UUID is ideal)."
            }
        )


def _request_hash(scope: str, payload: Any) -> str:
    canonical = json.dumps({"scope": scope, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent(
    *,
    user: User,
    key: str | None,
    scope: str,
    payload: Any,
    operation: Callable[[], tuple[int, dict[str, Any]]],
) -> tuple[int, dict[str, Any], bool]:
    """Run ``operation`` once per (user, key). Returns (status, body, replayed)."""
    if not key:
        status, body = operation()
        return status, body, False
    validate_key(key)
    request_hash = _request_hash(scope, payload)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # A concurrent twin waits here on the unique index until the first commits.
                stored = IdempotencyRecord.objects.create(
                    user=user, key=key, request_hash=request_hash
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.get(user=user, key=key)
            if existing.request_hash != request_hash:
                raise IdempotencyKeyReused() from None
            if existing.response_status is None:
                raise IdempotencyInProgress() from None
            return existing.response_status, dict(existing.response_body or {}), True
        try:
            with transaction.atomic():
                status, body = operation()
        except DomainError as error:
            status = int(error.status)
            body = {
                **problem_body(status=status, code=error.code, detail=error.message),
                **error.extra,
            }
        stored.response_status = status
        stored.response_body = body
        stored.save(update_fields=["response_status", "response_body"])
    return status, body, False


RETENTION = datetime.timedelta(hours=24)


def idempotency_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget stored results older than a day: retries come within minutes, not days."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
