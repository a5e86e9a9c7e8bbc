"""Idempotency keys on the API: a change requested twice with the same key happens once.

The first request with a key stores its outcome (success or refusal, as the HTTP status and
JSON body) in the same transaction as its effect; a retry with the same key and payload gets
that stored outcome and changes nothing; the same key with a different payload is refused
(422). ``@idempotent`` puts this on an API method of any app (the records are
``core.models.IdempotencyRecord``). Invalid input (400) and an object the user may not see
(404) store nothing: they are not the change's outcome, and the key stays free. Without a key
the operation simply runs. A replayed answer carries ``Idempotent-Replayed: true`` (as
Stripe's), so a client can tell a retry's answer from a first one. Fields named in
``sealed`` (a secret shown once: a feed URL, a TOTP secret, recovery codes) are stored
encrypted under a key derived from ``SECRET_KEY``, so the stored outcome reveals no secret to
whoever reads the database.
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
import os
import re
from collections.abc import Callable
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.conditional import with_etag
from core.errors import (
    PROBLEM_CONTENT_TYPE,
    DomainError,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    NotFoundError,
    problem_body,
)
from core.models import IdempotencyRecord

_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
RETENTION = datetime.timedelta(hours=24)


class Outcome(NamedTuple):
    """What a request came to: an HTTP status and a JSON body (an object, or a list for an
    operation that creates several); ``replayed`` when it is the
    stored outcome of an earlier request with the same key."""

    status: int
    body: Any
    replayed: bool = False


def _check_key(key: str) -> None:
    if not _KEY.match(key):
        raise ValidationError(
            {
                "Idempotency-Key": _(
                    "Use 8 to 128 letters, digits, '-', '_', '.' or ':' (a UUID is ideal)."
                )
            }
        )


def _request_hash(scope: str, payload: Any) -> str:
    canonical = json.dumps({"scope": scope, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# Claim a key: a concurrent twin's INSERT waits on the unique index until the first commits,
# then inserts nothing (and reads the first one's outcome) or, if the first rolled back, claims
# the key itself. No savepoint: a conflict is not an error.
_CLAIM_SQL = (
    "INSERT INTO core_idempotencyrecord (user_id, key, request_hash, created_at) "
    "VALUES (%s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id"
)


def _claim(*, user_id: Any, key: str, request_hash: str) -> int | None:
    """The new record's id, or None when the key is already taken."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_CLAIM_SQL, [user_id, key, request_hash, timezone.now()])
            row = cursor.fetchone()
        return None if row is None else int(row[0])
    try:
        with transaction.atomic():
            stored = IdempotencyRecord.objects.create(
                user_id=user_id, key=key, request_hash=request_hash
            )
    except IntegrityError:
        return None
    return stored.pk


def _json_column(body: Any) -> Any:
    # As the model's JSONField saves it: None as SQL NULL, anything else json.dumps'ed.
    return None if body is None else connection.ops.adapt_json_value(body, None)


def _store(record_id: int, outcome: Outcome) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE core_idempotencyrecord SET response_status = %s, response_body = %s "
                "WHERE id = %s",
                [outcome.status, _json_column(outcome.body), record_id],
            )
        return
    IdempotencyRecord.objects.filter(pk=record_id).update(
        response_status=outcome.status, response_body=outcome.body
    )


def run_once(
    *,
    user: AbstractBaseUser,
    key: str,
    scope: str,
    payload: Any,
    operation: Callable[[], Outcome],
    refused: Callable[[DomainError], Outcome],
    savepoint: bool = True,
) -> Outcome:
    """Run ``operation`` once per (user, key) and store its outcome; a retry gets the stored one.

    A domain refusal is an outcome too: ``refused`` turns the error into one (or re-raises
    it, and then nothing is stored). Any other exception rolls everything back.
    ``savepoint=False``: the operation undoes its own writes when it raises (they are all in
    one atomic service call), so it runs without a savepoint of its own (two round trips
    less).
    """
    _check_key(key)
    request_hash = _request_hash(scope, payload)
    with transaction.atomic():
        stored_id = _claim(user_id=user.pk, key=key, request_hash=request_hash)
        if stored_id is None:
            existing = IdempotencyRecord.objects.get(user_id=user.pk, key=key)
            if existing.request_hash != request_hash:
                raise IdempotencyKeyReused() from None
            if existing.response_status is None:
                raise IdempotencyInProgress() from None
            return Outcome(existing.response_status, existing.response_body, replayed=True)
        try:
            if savepoint:
                with transaction.atomic():
                    outcome = operation()
            else:
                outcome = operation()
        except DomainError as error:
            outcome = refused(error)
        _store(stored_id, outcome)
    return outcome


def idempotency_records_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget stored results older than a day: retries come within minutes, not days."""
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    # The schema says what the server accepts (schemathesis found clients guessing otherwise).
    pattern=_KEY.pattern,
    description="A unique key (e.g. a UUID) per intended change; a retry with the same key and body returns the first result.",
)

IDEMPOTENT_REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=True,
    enum=["true"],
    description="Present (`true`) when this is the stored answer to an earlier request with the same Idempotency-Key: nothing was changed again.",
)
# The parameters of an operation that takes an Idempotency-Key.
IDEMPOTENCY = [IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED]

_View = TypeVar("_View", bound=APIView)
_Params = ParamSpec("_Params")
_Operation = Callable[Concatenate[_View, Request, _Params], Response]


def _seal_key() -> AESGCM:
    return AESGCM(
        HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"appointments.idempotency.seal"
        ).derive(settings.SECRET_KEY.encode())
    )


def _sealed(body: Any, fields: tuple[str, ...], context: bytes) -> Any:
    if not isinstance(body, dict):
        return body
    sealed = dict(body)
    for name in fields:
        if isinstance(sealed.get(name), str):
            nonce = os.urandom(12)
            secret = _seal_key().encrypt(nonce, sealed[name].encode(), context)
            sealed[name] = {"sealed": base64.b64encode(nonce + secret).decode()}
    return sealed


def _unsealed(body: Any, fields: tuple[str, ...], context: bytes) -> Any:
    if not isinstance(body, dict):
        return body
    opened = dict(body)
    for name in fields:
        value = opened.get(name)
        if isinstance(value, dict) and "sealed" in value:
            raw = base64.b64decode(value["sealed"])
            opened[name] = _seal_key().decrypt(raw[:12], raw[12:], context).decode()
    return opened


def _outcome(response: Response) -> Outcome:
    return Outcome(response.status_code, response.data)


def _refusal(error: DomainError) -> Outcome:
    if isinstance(error, NotFoundError):
        raise error
    body: dict[str, Any] = {
        **problem_body(status=error.status, code=error.code, detail=error.message),
        **error.extra,
    }
    return Outcome(int(error.status), body)


def idempotent(
    scope: str,
    *,
    body: bool = True,
    sealed: tuple[str, ...] = (),
    etag: bool = False,
    savepoint: bool = True,
) -> Callable[[_Operation[_View, _Params]], _Operation[_View, _Params]]:
    """Make an API method idempotent under the Idempotency-Key header.

    ``scope`` names the operation; it is formatted with the URL's arguments and the view
    (``"appointments.cancel:{appointment_id}"``), so one key cannot replay another
    operation's result. ``body=False``: the request body is not part of the request (a
    retry is recognised by key and scope alone). ``etag=True``: a successful answer carries
    the ETag of its body (core/conditional.py), replays included. ``savepoint=False``: the
    method's writes are one atomic service call that undoes them when it refuses (a
    ``DomainError`` raised anywhere else comes before any write), so ``run_once`` runs it
    without a savepoint of its own.
    """

    def decorate(method: _Operation[_View, _Params]) -> _Operation[_View, _Params]:
        @functools.wraps(method)
        def run(
            view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs
        ) -> Response:
            # From META: request.headers would build a mapping of every header for this one.
            key = request.META.get("HTTP_IDEMPOTENCY_KEY")
            if not key:
                return method(view, request, *args, **kwargs)
            user = request.user
            if not isinstance(user, AbstractBaseUser):
                # Operations with a key are for signed-in callers (IsAuthenticated ran first).
                raise NotAuthenticated()
            context = f"{user.pk}:{key}".encode()

            def operation() -> Outcome:
                first = _outcome(method(view, request, *args, **kwargs))
                return first._replace(body=_sealed(first.body, sealed, context))

            outcome = run_once(
                user=user,
                key=key,
                scope=scope.format(view=view, **kwargs),
                payload=request.data if body else {},
                operation=operation,
                refused=_refusal,
                savepoint=savepoint,
            )
            if outcome.status == 204:
                response = Response(status=204)
            else:
                response = Response(
                    _unsealed(outcome.body, sealed, context),
                    status=outcome.status,
                    content_type=PROBLEM_CONTENT_TYPE if outcome.status >= 400 else None,
                )
            if outcome.replayed:
                response["Idempotent-Replayed"] = "true"
            if etag and 200 <= outcome.status < 300 and outcome.status != 204:
                with_etag(response)
            return response

        # The operation documents the header it accepts and the one a replay carries.
        return extend_schema(parameters=IDEMPOTENCY)(run)

    return decorate
