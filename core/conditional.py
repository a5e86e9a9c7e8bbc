"""Conditional requests (RFC 9110 section 13): ETags on single resources, If-Match on their
updates, If-None-Match on their reads.

The ETag is a strong validator of the representation the caller receives: a digest of its JSON.
A client that sends back the ETag it read in ``If-Match`` changes the resource only if nobody
changed it since (412 ``PRECONDITION_FAILED`` otherwise): no lost update between two devices or
two receptionists. Without If-Match an update goes ahead as before, so existing clients keep
working; ``If-Match: *`` only asks that the resource exists. ``If-None-Match`` on a read answers
304 without a body when the client's copy is current.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.utils.translation import gettext_noop
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import DomainError


class PreconditionFailed(DomainError):
    code = "PRECONDITION_FAILED"
    status = 412
    default_message = gettext_noop(
        "It was changed since you read it: fetch it again (a new ETag) and retry with that "
        "ETag in If-Match."
    )


def etag_of(representation: Any) -> str:
    """A strong entity tag of a JSON representation."""
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> list[str]:
    return [tag.strip() for tag in header.split(",") if tag.strip()]


def require_if_match(request: Request, representation: Any) -> None:
    """Raise PreconditionFailed unless the request's If-Match (if any) names the current
    representation. Strong comparison: a weak tag (``W/"..."``) never matches."""
    header = request.META.get("HTTP_IF_MATCH")  # not request.headers: built for one header
    if header is None:
        return
    tags = _tags(header)
    if "*" in tags:
        return
    if etag_of(representation) not in tags:
        raise PreconditionFailed()


def with_etag(response: Response) -> Response:
    """The response with the ETag of its body."""
    response["ETag"] = etag_of(response.data)
    return response


def conditional_read(request: Request, representation: Any) -> Response:
    """200 with the representation and its ETag, or 304 (no body) when If-None-Match names it."""
    etag = etag_of(representation)
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if header is not None:
        # Weak comparison for reads: W/"x" matches "x".
        tags = [tag.removeprefix("W/") for tag in _tags(header)]
        if "*" in tags or etag in tags:
            response = Response(status=304)
            response["ETag"] = etag
            return response
    response = Response(representation)
    response["ETag"] = etag
    return response


# --- OpenAPI ------------------------------------------------------------------------------

ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="Entity tag of this representation: send it back in If-Match to change the resource only if it is still the one you read.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag you hold: 304 Not Modified (no body) if it is still current.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read: the change is made only if the resource is unchanged since (412 PRECONDITION_FAILED otherwise). Without it the change is made regardless.",
)
NOT_MODIFIED = OpenApiResponse(
    description="Not modified: the ETag in If-None-Match is still current (no body)."
)
# Parameters of a conditional read and of a conditional update.
CONDITIONAL_READ = [ETAG, IF_NONE_MATCH]
CONDITIONAL_UPDATE = [ETAG, IF_MATCH]
