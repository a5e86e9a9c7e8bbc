"""Pieces every app's REST API shares: the error contract as the schema documents it (the
``Problem`` component and :func:`problems`), cursor pages, query parameters that refuse what
they do not know, ``{id, name}`` references, the bridge from DRF's request to Django's (services
take Django's, for audit rows and rate limits), and the caching headers of every API response."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.fields import empty
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import ERROR_STATUSES, DomainError

_M = TypeVar("_M", bound=Model)

# --- The error contract in the schema ---------------------------------------------------------


class ChallengeSerializer(serializers.Serializer[dict[str, Any]]):
    token = serializers.CharField()
    difficulty_bits = serializers.IntegerField()
    algorithm = serializers.CharField()

    class Meta:
        ref_name = "ProofOfWorkChallenge"


class ProblemSerializer(serializers.Serializer[dict[str, Any]]):
    """Problem details (RFC 9457), the body of every error of the API
    (``application/problem+json``)."""

    type = serializers.CharField(help_text="urn:hospital:error:<the code in lower case>.")
    code = serializers.CharField(
        help_text="Stable machine-readable code; each code has one HTTP status. The codes an "
        "operation answers with are listed in its response's description."
    )
    title = serializers.CharField(help_text="The HTTP status phrase.")
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text="A sentence for people.")
    request_id = serializers.CharField(help_text="Quote it to support.")
    # The metaclass takes declared fields off the class: Serializer.errors is not shadowed.
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Invalid fields (body or query parameters): name -> messages.",
    )
    challenge = ChallengeSerializer(
        required=False,
        help_text="With CHALLENGE_REQUIRED: find a nonce such that SHA-256(token:nonce) starts "
        "with difficulty_bits zero bits.",
    )

    class Meta:
        ref_name = "Problem"


PROBLEM_CODES_INTRO = "Problem details (RFC 9457); `code` is one of: "

_ErrorName = str | type[DomainError]


def _code_of(error: _ErrorName) -> str:
    return error if isinstance(error, str) else error.code


def problems(*errors: _ErrorName, description: str = "") -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation: the codes it may answer with (a
    DomainError class or a registered code), grouped under their one status.

    ``responses={200: AppointmentOutput, **problems(SlotTaken, NotAllowed)}``. The schema
    hook (core/schema.py) adds what every operation shares (401, 403 for staff without a
    verified second factor, VALIDATION_ERROR, 413, 415) and the media type.
    """
    by_status: dict[int, list[str]] = {}
    for error in errors:
        code = _code_of(error)
        codes = by_status.setdefault(ERROR_STATUSES[code], [])
        if code not in codes:
            codes.append(code)
    return {
        status: OpenApiResponse(
            response=ProblemSerializer,
            description=PROBLEM_CODES_INTRO
            + ", ".join(f"`{code}`" for code in codes)
            + "."
            + (f" {description}" if description else ""),
        )
        for status, codes in sorted(by_status.items())
    }


# An error response without its codes: prefer problems(), which names them.
PROBLEM = OpenApiResponse(response=ProblemSerializer, description="Problem details (RFC 9457).")


# --- References and query parameters ----------------------------------------------------------


class ReferenceSerializer(serializers.Serializer[Any]):
    """A related object as every output names it: its public id and its name.

    ``name_source`` says where the name is (``"display_name"``, ``"get_full_name"``)."""

    def __init__(self, *args: Any, name_source: str = "name", **kwargs: Any) -> None:
        self.name_source = name_source
        kwargs.setdefault("read_only", True)
        super().__init__(*args, **kwargs)

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        name = (
            serializers.CharField(read_only=True)
            if self.name_source == "name"  # DRF refuses a source equal to the field's name
            else serializers.CharField(source=self.name_source, read_only=True)
        )
        return {"id": serializers.UUIDField(source="public_id", read_only=True), "name": name}

    class Meta:
        ref_name = "Reference"


CURSOR_PARAMETER = "cursor"
UNKNOWN_PARAMETER = gettext_lazy("Unknown query parameter.")
EMPTY_PARAMETER = gettext_lazy("Give a value, or leave the parameter out.")


class QueryParameters(serializers.Serializer[None]):
    """The query parameters of a list: those it declares, and ``cursor`` where the list is a
    page. Anything else is refused (400, VALIDATION_ERROR, ``errors`` naming it): a typo like
    ``?practitioners=`` must not silently return everything."""

    paginated: ClassVar[bool] = True

    def to_internal_value(self, data: Any) -> Any:
        accepted = set(self.fields) | ({CURSOR_PARAMETER} if self.paginated else set())
        unknown = sorted(set(data) - accepted) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({name: [UNKNOWN_PARAMETER] for name in unknown})
        # DRF reads a query string like an HTML form: ``?updated_since=`` would count as
        # absent. A typed parameter sent empty is a mistake; say so rather than ignore it.
        empty = [
            name
            for name, field in self.fields.items()
            if hasattr(data, "get")
            and data.get(name) == ""
            and not getattr(field, "allow_blank", False)
        ]
        if empty:
            raise serializers.ValidationError({name: [EMPTY_PARAMETER] for name in empty})
        return super().to_internal_value(data)


class NoQueryParameters(QueryParameters):
    """A paginated list without filters: only ``cursor``."""


class NoParameters(QueryParameters):
    """An operation that takes no query parameters at all."""

    paginated = False


# What each parameter class validates an empty query string to (a list opened without filters,
# the commonest request): building the serializer copies all its fields (~0.1 ms). Only for
# classes whose defaults are constants; nothing of the request is read by any of them.
_WITHOUT_PARAMETERS: dict[type[QueryParameters], dict[str, Any]] = {}


def query_parameters(
    request: Request, parameters: type[QueryParameters] = NoQueryParameters
) -> dict[str, Any]:
    """The validated query parameters of ``request`` (400 for unknown or invalid ones)."""
    given = request.query_params
    if not given or (parameters.paginated and given.keys() == {CURSOR_PARAMETER}):
        known = _WITHOUT_PARAMETERS.get(parameters)
        if known is not None:
            return dict(known)
    query = parameters(data=given)
    query.is_valid(raise_exception=True)
    validated = dict(query.validated_data)
    if not given and not any(
        field.default is not empty and callable(field.default) for field in query.fields.values()
    ):
        _WITHOUT_PARAMETERS[parameters] = validated
        return dict(validated)
    return validated


# --- Cursor pages -------------------------------------------------------------------------------

CURSOR = OpenApiParameter(
    CURSOR_PARAMETER,
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description="The page after (or before) this one: take `next` (or `previous`) of the "
    "page you have; do not build it yourself.",
)

_PAGES: dict[type[serializers.BaseSerializer[Any]], type[serializers.Serializer[Any]]] = {}


def page_of(item: type[serializers.BaseSerializer[Any]]) -> type[serializers.Serializer[Any]]:
    """The schema of a cursor page of ``item``: ``next``, ``previous`` (URLs or null) and
    ``results``; one component per item type (e.g. ``AppointmentPage``)."""
    if item not in _PAGES:
        name = item.__name__.removesuffix("Serializer").removesuffix("Output")
        _PAGES[item] = type(
            f"{name}Page",
            (serializers.Serializer,),
            {
                "__module__": __name__,
                "__doc__": f"A page of {name} (cursor pagination): follow `next` for more.",
                "next": serializers.URLField(
                    allow_null=True, help_text="The next page, or null on the last one."
                ),
                "previous": serializers.URLField(
                    allow_null=True, help_text="The previous page, or null on the first one."
                ),
                "results": item(many=True),
            },
        )
    return _PAGES[item]


class CursorPage(CursorPagination):
    """Cursor pagination with a bounded page size: ``ordering`` and ``page_size`` per list."""

    page_size = 50
    cursor_query_param = CURSOR_PARAMETER

    def decode_cursor(self, request: Request) -> Any:
        # DRF answers a cursor it cannot read with a 404; it is a bad query parameter (400),
        # as the schema says and as the slot pages already answer.
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise serializers.ValidationError({CURSOR_PARAMETER: [_("Invalid cursor.")]}) from None

    def _get_position_from_instance(self, instance: Any, ordering: Sequence[str]) -> str:
        # Orderings may follow relations ("user__full_name"): the position is read along them.
        value: Any = instance
        for part in ordering[0].lstrip("-").split("__"):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        return str(value)


class PageSource(Protocol):
    """What a cursor page reads of its items besides a queryset: DRF's CursorPagination asks
    for ``order_by(*ordering)`` (or its reverse), ``filter(<first field>__gt|__lt=position)``
    and a slice (``[offset:offset + size + 1]``)."""

    def order_by(self, *fields: str) -> PageSource: ...

    def filter(self, **conditions: Any) -> PageSource: ...

    def __getitem__(self, window: slice) -> Iterable[Any]: ...


def cursor_page(
    request: Request,
    items: QuerySet[_M] | PageSource,
    *,
    ordering: str | tuple[str, ...],
    render: Callable[[Sequence[Any]], Any],
    page_size: int = 50,
) -> Response:
    """One page of ``items`` in ``ordering`` as ``{next, previous, results}``."""
    paginator = CursorPage()
    paginator.ordering = ordering
    paginator.page_size = page_size
    # A PageSource answers what CursorPagination asks of a queryset.
    page = paginator.paginate_queryset(items, request) or []  # type: ignore[arg-type]
    return paginator.get_paginated_response(render(page))


def keyset_page(
    request: Request,
    rows: Iterable[Any],
    *,
    key: Callable[[Any], Sequence[str]],
    render: Callable[[Sequence[Any]], Any],
    page_size: int,
) -> Response:
    """A forward-only cursor page of computed ``rows`` already sorted by ``key`` (strings that
    sort like the rows): ``next`` carries the key of the last row; ``previous`` is null."""
    after: list[str] | None = None
    raw = request.query_params.get(CURSOR_PARAMETER)
    if raw:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            decoded = None
        if not (isinstance(decoded, list) and all(isinstance(part, str) for part in decoded)):
            raise serializers.ValidationError({CURSOR_PARAMETER: [_("Invalid cursor.")]})
        after = decoded
    remaining = [row for row in rows if after is None or list(key(row)) > after]
    page = remaining[:page_size]
    next_url = None
    if len(remaining) > page_size:
        cursor = base64.urlsafe_b64encode(json.dumps(list(key(page[-1]))).encode()).decode()
        query = request.query_params.copy()
        query[CURSOR_PARAMETER] = cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Response({"next": next_url, "previous": None, "results": render(page)})


def django_request(request: Request) -> HttpRequest:
    """The HttpRequest behind a DRF request (IP, user agent, request id, session)."""
    return request._request


API_PREFIX = "/api/"


class ApiCachingMiddleware:
    """Every /api/ response, errors included, is ``Cache-Control: no-store`` and varies on
    ``Authorization``: responses carry medical data and tokens (RFC 6749 section 5.1 asks
    no-store of token responses), and mobile HTTP caches keep GET responses otherwise.

    Placed right after the request-id middleware, so the answers of every later middleware
    (an expired session's 401, a rate limit's 429) get the headers too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            response["Cache-Control"] = "no-store"
            patch_vary_headers(response, ("Authorization",))
        return response
