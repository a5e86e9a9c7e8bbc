"""Idempotency keys: a change requested twice with the same key happens once.

The first request with a key stores its outcome (success or refusal) in the same
transaction as its effect; a retry with the same key and payload gets that stored outcome
and changes nothing; the same key with a different payload is refused (422). What an
outcome looks like on the wire is the caller's business (appointments/apis/idempotency.py).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from appointments.errors import IdempotencyInProgress, IdempotencyKeyReused
from appointments.models import IdempotencyRecord
from core.errors import DomainError

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
RETENTION = datetime.timedelta(hours=24)


class Outcome(NamedTuple):
    """What a request came to: an HTTP status and a JSON body; ``replayed`` when it is the
    stored outcome of an earlier request with the same key."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise ValidationError(
            {
                "Idempotency-Key": "Use 8 to 128 letters, digits, '-', '_', '.' or ':' (a UUID is ideal)."
            }
        )


def _request_hash(scope: str, payload: Any) -> str:
    canonical = json.dumps({"scope": scope, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_once(
    *,
    user: User,
    key: str,
    scope: str,
    payload: Any,
    operation: Callable[[], Outcome],
    refused: Callable[[DomainError], Outcome],
) -> Outcome:
    """Run ``operation`` once per (user, key) and store its outcome; a retry gets the stored one.

    A domain refusal is an outcome too: ``refused`` turns the error into one (or re-raises
    it, and then nothing is stored). Any other exception rolls everything back.
    """
    _check_key(key)
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
            return Outcome(
                existing.response_status, dict(existing.response_body or {}), replayed=True
            )
        try:
            with transaction.atomic():
                outcome = operation()
        except DomainError as error:
            outcome = refused(error)
        stored.response_status = outcome.status
        stored.response_body = outcome.body
        stored.save(update_fields=["response_status", "response_body"])
    return outcome


def idempotency_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget stored results older than a day: retries come within minutes, not days."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
