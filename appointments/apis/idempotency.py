"""``@idempotent``: the Idempotency-Key header on API operations that create or change bookings.

With a key, the operation runs once per (user, key): its response, or its domain refusal as
problem details, is stored in the same transaction as its effect and replayed for a retry
(services/idempotency.py keeps the records). Invalid input (400) and an appointment the user
may not see (404) store nothing: they are not the change's outcome, and the key stays free.
Without a key the operation simply runs. A replayed answer carries ``Idempotent-Replayed: true``
(as Stripe's ``Idempotent-Replayed`` header), so a client can tell a retry's answer from a
first one. Fields named in ``sealed`` (a secret shown once, such as a feed URL) are stored
encrypted under a key derived from ``SECRET_KEY``, so the stored outcome reveals no secret to
whoever reads the database.
"""

from __future__ import annotations

import base64
import functools
import os
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments.services import idempotency
from core.conditional import with_etag
from core.errors import PROBLEM_CONTENT_TYPE, DomainError, NotFoundError, problem_body

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
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


def _sealed(body: dict[str, Any], fields: tuple[str, ...], context: bytes) -> dict[str, Any]:
    sealed = dict(body)
    for name in fields:
        if isinstance(sealed.get(name), str):
            nonce = os.urandom(12)
            secret = _seal_key().encrypt(nonce, sealed[name].encode(), context)
            sealed[name] = {"sealed": base64.b64encode(nonce + secret).decode()}
    return sealed


def _unsealed(body: dict[str, Any], fields: tuple[str, ...], context: bytes) -> dict[str, Any]:
    opened = dict(body)
    for name in fields:
        value = opened.get(name)
        if isinstance(value, dict) and "sealed" in value:
            raw = base64.b64decode(value["sealed"])
            opened[name] = _seal_key().decrypt(raw[:12], raw[12:], context).decode()
    return opened


def _outcome(response: Response) -> idempotency.Outcome:
    return idempotency.Outcome(response.status_code, dict(response.data or {}))


def _refusal(error: DomainError) -> idempotency.Outcome:
    if isinstance(error, NotFoundError):
        raise error
    body: dict[str, Any] = {
        **problem_body(status=error.status, code=error.code, detail=error.message),
        **error.extra,
    }
    return idempotency.Outcome(int(error.status), body)


def idempotent(
    scope: str, *, body: bool = True, sealed: tuple[str, ...] = (), etag: bool = False
) -> Callable[[_Operation[_View, _Params]], _Operation[_View, _Params]]:
    """Make an API method idempotent under the Idempotency-Key header.

    ``scope`` names the operation; it is formatted with the URL's arguments and the view
    (``"appointments.cancel:{appointment_id}"``), so one key cannot replay another
    operation's result. ``body=False``: the request body is not part of the request (a
    retry is recognised by key and scope alone). ``etag=True``: a successful answer carries
    the ETag of its body (core/conditional.py), replays included.
    """

    def decorate(method: _Operation[_View, _Params]) -> _Operation[_View, _Params]:
        @functools.wraps(method)
        def run(
            view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs
        ) -> Response:
            key = request.headers.get("Idempotency-Key")
            if not key:
                return method(view, request, *args, **kwargs)
            user = signed_in_user(request)
            context = f"{user.pk}:{key}".encode()

            def operation() -> idempotency.Outcome:
                first = _outcome(method(view, request, *args, **kwargs))
                return first._replace(body=_sealed(first.body, sealed, context))

            outcome = idempotency.run_once(
                user=user,
                key=key,
                scope=scope.format(view=view, **kwargs),
                payload=request.data if body else {},
                operation=operation,
                refused=_refusal,
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
