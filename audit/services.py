"""The audit entry point. Every security-relevant action in the code base calls :func:`record`.

Call it inside the service's ``transaction.atomic`` block, so the row commits or
rolls back with the action. A refused or failed action is recorded outside the
block that rolls back (record, then raise), so the refusal is kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.http import HttpRequest

from audit.models import AuditEvent
from core.caller import client_ip, user_agent
from core.db.inserts import insert_new
from core.request_id import current_request_id

Outcome = AuditEvent.Outcome
# The audit layer sits below accounts: it knows users only as Django's AUTH_USER_MODEL.
User = AbstractBaseUser

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_MAX_DETAILS_BYTES = 4096
_Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class AuditTarget:
    """What an event is about, when it is not a model instance (e.g. a failed login's email is NOT one)."""

    type: str
    id: str = ""


def describe_target(target: models.Model | AuditTarget | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, AuditTarget):
        return target.type, target.id
    meta = target._meta
    identifier = getattr(target, "public_id", None) or target.pk
    return f"{meta.app_label}.{meta.model_name}", str(identifier)


def _validated_details(details: dict[str, Any] | None) -> dict[str, Any]:
    if not details:
        return {}
    for key, value in details.items():
        values = value if isinstance(value, list | tuple) else [value]
        if not isinstance(key, str) or not all(isinstance(v, _Scalar) for v in values):
            raise ValueError(
                "Audit details take string keys and scalar (or list of scalar) values; "
                f"got {key!r}: {type(value).__name__}"
            )
    if len(json.dumps(details, default=str)) > _MAX_DETAILS_BYTES:
        raise ValueError(f"Audit details must stay under {_MAX_DETAILS_BYTES} bytes.")
    return details


def record(
    *,
    action: str,
    outcome: str = Outcome.SUCCESS,
    actor: User | AnonymousUser | None = None,
    target: models.Model | AuditTarget | None = None,
    patient: User | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit row and return it.

    ``action`` is a dotted constant owned by the calling app (``accounts.login``);
    ``details`` holds small non-sensitive facts: field names, counts, codes, never
    medical values or secrets. With ``request`` given, the actor defaults to the
    signed-in user and the IP, user agent and request id are taken from it.
    """
    if not _ACTION.match(action):
        raise ValueError(f"Audit action must be a dotted lower-case constant, got {action!r}")
    if outcome not in Outcome.values:
        raise ValueError(f"Unknown audit outcome {outcome!r}")

    if actor is None and request is not None:
        actor = getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None

    target_type, target_id = describe_target(target)
    # insert_new: the statement built once (an audit row is written on most requests).
    return insert_new(
        AuditEvent(
            actor_id=actor.pk if actor is not None else None,
            actor_role=getattr(actor, "audit_role", "") if actor is not None else "",
            action=action,
            target_type=target_type,
            target_id=target_id,
            patient_id=patient.pk if patient is not None else None,
            outcome=outcome,
            request_id=getattr(request, "request_id", None) or current_request_id(),
            ip_address=client_ip(request) if request is not None else None,
            user_agent=user_agent(request) if request is not None else "",
            details=_validated_details(details),
        )
    )
