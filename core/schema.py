"""The OpenAPI schema is the contract: a drf-spectacular post-processing hook that adds to
every operation what they all share, so no view can forget it.

- Anonymous operations declare ``security: []`` (drf-spectacular writes ``[{}]``, which
  generated clients read as "needs an authenticated client").
- Secured operations document 401 (no, an invalid or an expired token or session) and, where
  staff must have passed a second factor, 403.
- Operations with a body document 400 (invalid JSON, invalid fields), 413 and 415; lists with
  query parameters document 400 for invalid or unknown parameters.
- Operations that take an Idempotency-Key document its refusals (400 malformed, 409 still
  running, 422 reused with another body).
- Every operation documents 503 (the database unavailable: retry after Retry-After).
- Operations that document 429 (rate-limited) document the RateLimit / RateLimit-Policy
  headers on their answers and Retry-After on the 429.
- Every error response is ``application/problem+json`` with the ``Problem`` component, its
  description lists the codes it may carry, and so does ``x-problem-codes``.

Registered in hospital/settings/api.py (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]); what
the apps above core add (the codes of the sign-in checks, the permission that keeps staff
without a second factor out) is named there, in API_SCHEMA_CONTRACT.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from django.conf import settings

from core.api import PROBLEM_CODES_INTRO
from core.errors import ERROR_STATUSES, PROBLEM_CONTENT_TYPE, VALIDATION_ERROR
from core.ratelimit import RATELIMIT_RESPONSE_HEADERS, RETRY_AFTER_RESPONSE_HEADER

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_CODES = re.compile(r"`([A-Z][A-Z0-9_]*)`")
_METHODS = ("get", "put", "post", "patch", "delete")

# What every operation of a kind may answer, beyond its own refusals.
WITH_BODY = (VALIDATION_ERROR, "PARSE_ERROR", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE")
WITH_QUERY = (VALIDATION_ERROR,)
# An Idempotency-Key (core/idempotency.py): a malformed key, its twin still running, and (with
# a body) the same key sent with another body.
IDEMPOTENCY_HEADER = "Idempotency-Key"
WITH_IDEMPOTENCY_KEY: tuple[str, ...] = (VALIDATION_ERROR, "IDEMPOTENCY_IN_PROGRESS")
WITH_IDEMPOTENCY_KEY_AND_BODY: tuple[str, ...] = ("IDEMPOTENCY_KEY_REUSED",)
# The database unavailable or its pool exhausted: 503 with Retry-After (core/unavailable.py).
EVERY_OPERATION = ("SERVICE_UNAVAILABLE",)

_DESCRIPTIONS = {
    401: "Not signed in: no credentials, an invalid or expired access token, or an ended "
    "session. Refresh the token or sign in again.",
}


def _view_classes(generator: Any) -> dict[tuple[str, str], type]:
    views: dict[tuple[str, str], type] = {}
    for path, _regex, method, callback in generator.endpoints or []:
        views[path, method.lower()] = callback.cls
    return views


def _has_permission(view: type | None, dotted_path: str) -> bool:
    if view is None or not dotted_path:
        return False
    return any(
        f"{base.__module__}.{base.__qualname__}" == dotted_path
        for permission in getattr(view, "permission_classes", ())
        if isinstance(permission, type)
        for base in permission.__mro__
    )


def _merge_codes(
    responses: dict[str, Any], status: int, codes: tuple[str, ...], description: str = ""
) -> None:
    response = responses.setdefault(str(status), {"description": description})
    known = _CODES.findall(response.get("description", "")) if response.get("description") else []
    response["x-problem-codes"] = list(
        dict.fromkeys([*response.get("x-problem-codes", known), *codes])
    )


def _problem_response(status: int, response: dict[str, Any]) -> dict[str, Any]:
    codes = list(
        dict.fromkeys(
            response.get("x-problem-codes") or _CODES.findall(response.get("description", ""))
        )
    )
    text = response.get("description", "")
    if text.startswith(PROBLEM_CODES_INTRO):  # our own sentence: rewritten with every code
        text = re.sub(r"^[^.]*\.\s*", "", text[len(PROBLEM_CODES_INTRO) :], count=1)
    text = text or _DESCRIPTIONS.get(status, "")
    examples: dict[str, Any] = {}
    for media in response.get("content", {}).values():
        examples.update(media.get("examples", {}))
    content: dict[str, Any] = {"schema": PROBLEM_REF}
    if examples:
        content["examples"] = examples
    # Headers (Retry-After, RateLimit) and extensions stay.
    rewritten = {
        key: value for key, value in response.items() if key not in ("description", "content")
    }
    rewritten.update(
        {
            "description": (
                PROBLEM_CODES_INTRO + ", ".join(f"`{code}`" for code in codes) + ". " + text
            ).strip(),
            "content": {PROBLEM_CONTENT_TYPE: content},
            "x-problem-codes": codes,
        }
    )
    return rewritten


def contract_hook(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook; see the module docstring."""
    contract: dict[str, Any] = getattr(settings, "API_SCHEMA_CONTRACT", {})
    secured_codes = tuple(contract.get("SECURED_CODES", ("NOT_AUTHENTICATED",)))
    staff_permission = contract.get("STAFF_PERMISSION", "")
    staff_permission_codes = tuple(contract.get("STAFF_PERMISSION_CODES", ()))
    staff_path_codes = tuple(contract.get("STAFF_PATH_CODES", ()))
    staff_path_exempt = tuple(contract.get("STAFF_PATH_EXEMPT_PREFIXES", ()))
    views = _view_classes(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in _METHODS:
                continue
            responses: dict[str, Any] = operation.setdefault("responses", {})
            security = operation.get("security")
            anonymous = not security or security == [{}]
            if anonymous:
                operation["security"] = []
            else:
                _merge_codes(responses, 401, secured_codes, _DESCRIPTIONS[401])
                staff_codes: tuple[str, ...] = ()
                if _has_permission(views.get((path, method)), staff_permission):
                    staff_codes += staff_permission_codes
                if not path.startswith(staff_path_exempt):
                    staff_codes += staff_path_codes
                if staff_codes:
                    _merge_codes(
                        responses,
                        403,
                        staff_codes,
                        "Staff accounts reach nothing before they have set up and passed a "
                        "second factor.",
                    )
            if "requestBody" in operation:
                for code in WITH_BODY:
                    _merge_codes(responses, ERROR_STATUSES[code], (code,))
            if any(parameter.get("in") == "query" for parameter in operation.get("parameters", [])):
                _merge_codes(responses, 400, WITH_QUERY)
            if any(
                parameter.get("in") == "header" and parameter.get("name") == IDEMPOTENCY_HEADER
                for parameter in operation.get("parameters", [])
            ):
                codes = WITH_IDEMPOTENCY_KEY
                if "requestBody" in operation:  # only a body can differ under the same key
                    codes += WITH_IDEMPOTENCY_KEY_AND_BODY
                for code in codes:
                    _merge_codes(responses, ERROR_STATUSES[code], (code,))
            for code in EVERY_OPERATION:
                _merge_codes(
                    responses,
                    ERROR_STATUSES[code],
                    (code,),
                    "The service is briefly unavailable: retry after Retry-After seconds.",
                )
                responses[str(ERROR_STATUSES[code])].setdefault("headers", {}).setdefault(
                    "Retry-After", {**copy.deepcopy(RETRY_AFTER_RESPONSE_HEADER), "required": True}
                )
            for status, response in list(responses.items()):
                if str(status)[0] in "45":
                    responses[status] = _problem_response(int(status), response)
            if "429" in responses:  # a limited operation: every answer may say where it stands
                for response in responses.values():
                    response.setdefault("headers", {}).update(
                        copy.deepcopy(RATELIMIT_RESPONSE_HEADERS)
                    )
                responses["429"]["headers"]["Retry-After"] = {
                    **copy.deepcopy(RETRY_AFTER_RESPONSE_HEADER),
                    "required": True,
                }
            operation["responses"] = dict(sorted(responses.items()))
    return result
