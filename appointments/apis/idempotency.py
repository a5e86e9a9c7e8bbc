"""``@idempotent``: the Idempotency-Key header on API operations that create or change bookings.

With a key, the operation runs once per (user, key): its response, or its domain refusal as
problem details, is stored in the same transaction as its effect and replayed for a retry
(services/idempotency.py keeps the records). Invalid input (400) and an appointment the user
may not see (404) store nothing: they are not the change's outcome, and the key stays free.
Without a key the operation simply runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments.services import idempotency
from core.errors import PROBLEM_CONTENT_TYPE, DomainError, NotFoundError, problem_body

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key (e.g. a UUID) per intended change; a retry with the same key and body returns the first result.",
)

_View = TypeVar("_View", bound=APIView)
_Params = ParamSpec("_Params")
_Operation = Callable[Concatenate[_View, Request, _Params], Response]


def _outcome(response: Response) -> idempotency.Outcome:
    return idempotency.Outcome(response.status_code, dict(response.data))


def _refusal(error: DomainError) -> idempotency.Outcome:
    if isinstance(error, NotFoundError):
        raise error
    body: dict[str, Any] = {
        **problem_body(status=error.status, code=error.code, detail=error.message),
        **error.extra,
    }
    return idempotency.Outcome(int(error.status), body)


def idempotent(
    scope: str, *, body: bool = True
) -> Callable[[_Operation[_View, _Params]], _Operation[_View, _Params]]:
    """Make an API method idempotent under the Idempotency-Key header.

    ``scope`` names the operation; it is formatted with the URL's arguments and the view
    (``"appointments.cancel:{appointment_id}"``), so one key cannot replay another
    operation's result. ``body=False``: the request body is not part of the request (a
    retry is recognised by key and scope alone).
    """

    def decorate(method: _Operation[_View, _Params]) -> _Operation[_View, _Params]:
        @functools.wraps(method)
        def run(
            view: _View, request: Request, /, *args: _Params.args, **kwargs: _Params.kwargs
        ) -> Response:
            key = request.headers.get("Idempotency-Key")
            if not key:
                return method(view, request, *args, **kwargs)
            outcome = idempotency.run_once(
                user=signed_in_user(request),
                key=key,
                scope=scope.format(view=view, **kwargs),
                payload=request.data if body else {},
                operation=lambda: _outcome(method(view, request, *args, **kwargs)),
                refused=_refusal,
            )
            return Response(
                outcome.body,
                status=outcome.status,
                content_type=PROBLEM_CONTENT_TYPE if outcome.status >= 400 else None,
            )

        return run

    return decorate
