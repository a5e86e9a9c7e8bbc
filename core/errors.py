"""The project's one error contract.

Domain code raises :class:`DomainError` (or a subclass from an app's errors.py)
with a stable code, a human message and an HTTP status, or Django's
``ValidationError`` for field errors. The API renders every error as RFC 9457
problem details through :func:`api_exception_handler`; pages show the message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

from core.request_id import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"

logger = logging.getLogger("django.request")

# The registry of error codes: each code the API answers with has exactly one HTTP status,
# so a client can rely on either. DomainError subclasses register their code when they are
# defined (a second status for a known code is a programming error, refused at import); codes
# answered outside a DomainError (DRF's own, middlewares') are registered by name below or
# next to the code that answers them. tests/hospital/test_error_codes.py checks every code
# used anywhere against this registry and the schema.
ERROR_STATUSES: dict[str, int] = {}


def register_error_code(code: str, status: int) -> str:
    """Record ``code`` as answered with ``status``; returns the code. Raises if the code
    already has another status."""
    known = ERROR_STATUSES.setdefault(code, int(status))
    if known != int(status):
        raise ImproperlyConfigured(
            f"Error code {code} is answered with {known}; it cannot also be {int(status)}."
        )
    return code


def error_status(code: str) -> int:
    """The one status of a registered code (KeyError for an unknown one)."""
    return ERROR_STATUSES[code]


# Codes of the contract itself and of DRF's exceptions (``code`` upper-cased).
VALIDATION_ERROR = register_error_code("VALIDATION_ERROR", 400)
for _code, _status in (
    ("PARSE_ERROR", 400),
    ("BAD_REQUEST", 400),
    ("NOT_AUTHENTICATED", 401),
    ("AUTHENTICATION_FAILED", 401),
    ("PERMISSION_DENIED", 403),
    ("CSRF_FAILED", 403),
    ("CORS_NOT_ALLOWED", 403),
    ("NOT_FOUND", 404),
    ("METHOD_NOT_ALLOWED", 405),
    ("NOT_ACCEPTABLE", 406),
    ("PAYLOAD_TOO_LARGE", 413),
    ("UNSUPPORTED_MEDIA_TYPE", 415),
    ("THROTTLED", 429),
    ("SERVER_ERROR", 500),
    ("SERVICE_UNAVAILABLE", 503),
):
    register_error_code(_code, _status)


class DomainError(Exception):
    """A business rule refused the operation. Subclass per app with its own codes.

    ``default_message`` is marked with ``gettext_noop`` (extracted, kept in English on the
    class) and translated when the error is raised, into the language of the request it
    answers: ``message`` is a plain string, as what stores it as JSON needs (the idempotency
    record of a refusal). A ``message`` given to the constructor is translated by its caller."""

    code: str = "ERROR"
    status: int = HTTPStatus.BAD_REQUEST
    default_message: str = gettext_noop("The request could not be completed.")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        register_error_code(cls.code, cls.status)

    def __init__(self, message: str | None = None, *, code: str | None = None) -> None:
        self.message = str(message or _(self.default_message))
        # Extra members of the problem body (e.g. a challenge to solve); never secrets.
        self.extra: dict[str, Any] = {}
        if code is not None:
            self.code = register_error_code(code, self.status)
        super().__init__(self.message)


class NotFoundError(DomainError):
    code = "NOT_FOUND"
    status = HTTPStatus.NOT_FOUND
    default_message = gettext_noop("Not found.")


class PermissionDeniedError(DomainError):
    code = "PERMISSION_DENIED"
    status = HTTPStatus.FORBIDDEN
    default_message = gettext_noop("You do not have permission to do this.")


class ConflictError(DomainError):
    code = "CONFLICT"
    status = HTTPStatus.CONFLICT
    default_message = gettext_noop("The request conflicts with the current state.")


register_error_code(DomainError.code, DomainError.status)


# The Idempotency-Key's refusals (core/idempotency.py), on any app's API.
class IdempotencyKeyReused(DomainError):
    code = "IDEMPOTENCY_KEY_REUSED"
    status = 422
    default_message = gettext_noop("This Idempotency-Key was already used for a different request.")


class IdempotencyInProgress(ConflictError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = gettext_noop(
        "A request with this Idempotency-Key is still being processed. Retry shortly."
    )


def error_messages(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field errors in the one shape of the contract: field -> list of messages.

    DRF nests errors for nested serializers and lists (``{"items": [{}, {"name": [...]}]}``);
    they are flattened to dotted names (``items.1.name``) so every value is a list of strings.
    """
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for field, value in detail.items():
            flat.update(error_messages(value, f"{prefix}.{field}" if prefix else str(field)))
        return flat
    name = prefix or "non_field_errors"
    if isinstance(detail, list | tuple):
        if any(isinstance(item, dict | list | tuple) for item in detail):
            flat = {}
            for index, item in enumerate(detail):
                if isinstance(item, dict | list | tuple):
                    flat.update(error_messages(item, f"{name}.{index}"))
                else:
                    flat.setdefault(name, []).append(str(item))
            return {key: value for key, value in flat.items() if value}
        return {name: [str(item) for item in detail]}
    return {name: [str(detail)]}


# The ``title`` of a problem: the HTTP status phrase (as ``http.HTTPStatus`` words it), in the
# language of the request. A status missing here is titled in English.
STATUS_TITLES = {
    400: gettext_lazy("Bad Request"),
    401: gettext_lazy("Unauthorized"),
    403: gettext_lazy("Forbidden"),
    404: gettext_lazy("Not Found"),
    405: gettext_lazy("Method Not Allowed"),
    406: gettext_lazy("Not Acceptable"),
    409: gettext_lazy("Conflict"),
    410: gettext_lazy("Gone"),
    412: gettext_lazy("Precondition Failed"),
    413: gettext_lazy("Request Entity Too Large"),
    415: gettext_lazy("Unsupported Media Type"),
    422: gettext_lazy("Unprocessable Entity"),
    428: gettext_lazy("Precondition Required"),
    429: gettext_lazy("Too Many Requests"),
    500: gettext_lazy("Internal Server Error"),
    502: gettext_lazy("Bad Gateway"),
    503: gettext_lazy("Service Unavailable"),
    504: gettext_lazy("Gateway Timeout"),
}


def status_title(status: int) -> str:
    """The problem ``title`` of ``status`` in the active language."""
    title = STATUS_TITLES.get(status)
    return str(title) if title is not None else HTTPStatus(status).phrase


def problem_body(
    *,
    status: int,
    code: str,
    detail: str,
    errors: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON shape of every API error."""
    body: dict[str, Any] = {
        "type": f"urn:hospital:error:{code.lower()}",
        "code": code,
        "title": status_title(status),
        "status": status,
        "detail": detail,
        "request_id": current_request_id(),
    }
    if errors:
        body["errors"] = error_messages(errors)
    return body


def problem_response(
    *, status: int, code: str, detail: str, errors: dict[str, Any] | None = None
) -> JsonResponse:
    """A plain Django response carrying problem details (for non-DRF views)."""
    return JsonResponse(
        problem_body(status=status, code=code, detail=detail, errors=errors),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _drf_code(exc: drf_exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes.upper()
    return "INVALID"


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler: every error becomes problem details; unknown errors stay 500s."""
    # Imported here: rest_framework.views loads the authentication classes, which import
    # app error modules, which import this module.
    from rest_framework.views import exception_handler as drf_default_handler

    if isinstance(exc, DomainError):
        response = Response(
            {**problem_body(status=exc.status, code=exc.code, detail=exc.message), **exc.extra},
            status=exc.status,
            content_type=PROBLEM_CONTENT_TYPE,
        )
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        exc = drf_exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()

    handled = drf_default_handler(exc, context)
    if handled is None or not isinstance(exc, drf_exceptions.APIException):
        return None  # A real bug: Django's handler500 answers with a problem body.
    response = handled

    if isinstance(exc, drf_exceptions.ValidationError):
        body = problem_body(
            status=response.status_code,
            code=VALIDATION_ERROR,
            detail=_("The request has invalid fields; see errors."),
            errors=error_messages(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = problem_body(status=response.status_code, code=_drf_code(exc), detail=str(detail))
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def wants_json(request: HttpRequest) -> bool:
    """API clients get JSON errors, never HTML pages."""
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


class ApiErrorMiddleware:
    """Under /api/, an unhandled exception becomes a problem-details 500, even with DEBUG on.

    Django would otherwise answer API clients with an HTML debug or error page.
    The exception is logged with its traceback (and the request id) first.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        # Imported here: core.unavailable builds its answer with this module.
        from core import unavailable

        if unavailable.is_database_unavailable(exception):
            logger.warning(
                "A backing service is unavailable on %s %s: %s",
                request.method,
                request.path,
                exception,
            )
            return unavailable.database_unavailable_problem()
        if isinstance(exception, Http404):
            return problem_response(status=404, code="NOT_FOUND", detail=_("Not found."))
        if isinstance(exception, DjangoPermissionDenied):
            return problem_response(
                status=403,
                code="PERMISSION_DENIED",
                detail=_("You do not have permission to do this."),
            )
        logger.error(
            "Unhandled exception on %s %s",
            request.method,
            request.path,
            exc_info=exception,
            extra={"status_code": 500},
        )
        return problem_response(
            status=500,
            code="SERVER_ERROR",
            detail=_("An unexpected error occurred. Quote the request id to support."),
        )
