"""Finding a time: appointment types, practitioners, free slots."""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime
import heapq
import itertools
import json
import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments import permissions
from appointments.apis import examples
from appointments.selectors.schedules import (
    appointment_types_bookable_by,
    practitioners_for,
)
from appointments.selectors.slot_cache import CatalogChanged
from appointments.selectors.slots import (
    SlotCatalog,
    SlotPractitioner,
    free_slot_times,
    slot_catalog,
    slot_practitioners,
)
from appointments.serializers.slots import (
    AppointmentTypeFilter,
    AppointmentTypeOutput,
    PlainSlotQuery,
    PractitionerFilter,
    PractitionerSummary,
    SlotOutput,
    SlotQuery,
    SlotRow,
    plain_slot_query,
    slot_key,
    slot_page_json,
    slot_rows_output,
)
from core import ratelimit
from core.api import (
    CURSOR,
    CURSOR_PARAMETER,
    cursor_page,
    keyset_page,
    page_of,
    problems,
    query_parameters,
)
from core.ratelimit import Rate, RateLimited

logger = logging.getLogger(__name__)

# A page of slots: a day of a large department fits in a few pages.
SLOT_PAGE_SIZE = 100
# The media type JSONRenderer answers with (a client asking for an ``indent`` is answered
# through the renderer).
JSON = "application/json"


def _count_search(*, user_id: int) -> None:
    """A generous limit per account (SLOT_SEARCH_RATE_LIMIT): enough for any person paging
    through times, not for a client scraping every department all day."""
    try:
        ratelimit.hit("slots:account", str(user_id), Rate.parse(settings.SLOT_SEARCH_RATE_LIMIT))
    except (RedisError, OSError) as error:
        # The counters are in the cache: without it, searches go on uncounted (this limit
        # only keeps scrapers off; the searches work without the cache too).
        logger.warning("Slot search not counted, the cache is unavailable: %s", error)


def _cursor_position(request: Request) -> tuple[float, str] | None:
    """Where the cursor says the page starts, as (start, practitioner), if it is one this
    server made; None otherwise (keyset_page reads it again and refuses a malformed one)."""
    raw = request.query_params.get(CURSOR_PARAMETER)
    if not raw:
        return None
    try:
        after = json.loads(base64.urlsafe_b64decode(raw.encode()).decode())
        start_text, practitioner_id = after
        start = datetime.datetime.fromisoformat(start_text)
    except (binascii.Error, ValueError, UnicodeDecodeError, TypeError):
        return None
    if not isinstance(practitioner_id, str) or start.tzinfo is None:
        return None
    timestamp = start.timestamp()
    # Only the server's own spelling of a time compares as a number like it does as text.
    if datetime.datetime.fromtimestamp(timestamp, datetime.UTC).isoformat() != start_text:
        return None
    return timestamp, practitioner_id


def _next_url(request: Request, last: SlotRow) -> str:
    """The next page's URL, as ``keyset_page`` writes it (without copying the query)."""
    cursor = base64.urlsafe_b64encode(json.dumps(list(slot_key(last))).encode()).decode()
    params = request.query_params
    encoding = params.encoding
    query: list[str] = []
    for name, values in params.lists():
        if name == CURSOR_PARAMETER:
            values = [cursor]
            cursor = ""
        query.extend(
            urlencode({name.encode(encoding): str(value).encode(encoding)}) for value in values
        )
    if cursor:
        query.append(urlencode({CURSOR_PARAMETER.encode(encoding): cursor.encode(encoding)}))
    return request.build_absolute_uri(f"{request.path}?{'&'.join(query)}")


def _rows_from(
    times: list[tuple[SlotPractitioner, list[float]]],
    position: tuple[float, str] | None,
    count: int,
) -> list[SlotRow]:
    """The first ``count`` slots after ``position`` in ``slot_key`` order, merged from each
    practitioner's ascending starts without ordering them all (at most ``count`` of each)."""
    runs = []
    for practitioner, starts in times:
        if not starts:
            continue
        practitioner_id = practitioner.public_id
        first = 0
        if position is not None:
            after, after_id = position
            # Past the cursor: a later start, or the same start with a later practitioner.
            first = (
                bisect.bisect_right(starts, after)
                if practitioner_id <= after_id
                else bisect.bisect_left(starts, after)
            )
        runs.append(
            zip(
                starts[first : first + count],
                itertools.repeat(practitioner_id),
                itertools.repeat(practitioner),
                strict=False,
            )
        )
    return list(itertools.islice(heapq.merge(*runs), count))


def _from_the_catalog(
    plain: PlainSlotQuery, *, respect_lead_time: bool
) -> tuple[SlotCatalog, list[tuple[SlotPractitioner, list[float]]]] | None:
    """The catalog of a plain search and its free times; None when its ids name nothing a
    search accepts. The catalog as this process remembers it, checked in the same round trip
    as the times (once it has moved on: read again, and the times searched again)."""
    now = timezone.now()

    def times_of(
        catalog: SlotCatalog, generation: int | None
    ) -> list[tuple[SlotPractitioner, list[float]]]:
        return free_slot_times(
            appointment_type=catalog.appointment_type,
            practitioners=catalog.practitioners,
            date_from=plain.date_from,
            date_to=plain.date_to,
            now=now,
            respect_lead_time=respect_lead_time,
            catalog_generation=generation,
        )

    def catalog_of(*, remembered: bool) -> tuple[SlotCatalog | None, int | None]:
        return slot_catalog(
            appointment_type_id=plain.appointment_type,
            department_id=plain.department,
            practitioner_id=plain.practitioner,
            remembered=remembered,
        )

    catalog, generation = catalog_of(remembered=True)
    if catalog is None:
        return None
    try:
        return catalog, times_of(catalog, generation)
    except CatalogChanged:
        catalog, _generation = catalog_of(remembered=False)
        return None if catalog is None else (catalog, times_of(catalog, None))


class AppointmentTypeListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Appointment types",
        operation_id="appointment_types_list",
        description="The types you may book (patients: those booked online), by department; "
        "a short list, not paginated. Pass a type's `id` to /practitioners and /slots.",
        parameters=[AppointmentTypeFilter],
        responses={200: AppointmentTypeOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = query_parameters(request, AppointmentTypeFilter)
        types = appointment_types_bookable_by(
            user=signed_in_user(request), department=filters.get("department")
        )
        return Response(AppointmentTypeOutput(types, many=True).data)


class PractitionerListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Practitioners",
        operation_id="practitioners_list",
        description="Active practitioners by name, of a department and offering a type if "
        "given: a cursor page of 50.",
        parameters=[PractitionerFilter, CURSOR],
        responses={200: page_of(PractitionerSummary)},
    )
    def get(self, request: Request) -> Response:
        filters = query_parameters(request, PractitionerFilter)
        department = filters.get("department")
        practitioners = practitioners_for(
            department_id=department.pk if department else None,
            appointment_type=filters.get("appointment_type"),
        )
        return cursor_page(
            request,
            practitioners,
            ordering=("user__full_name", "pk"),
            render=lambda page: PractitionerSummary(page, many=True).data,
        )


class SlotListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Free slots",
        operation_id="slots_list",
        description="Free times of an appointment type, for one practitioner or a whole "
        "department, between two dates (a window of at most 31 days). Dates are in each "
        f"practitioner's time zone; times are in UTC with the local wall-clock time beside "
        f"them. A cursor page of at most {SLOT_PAGE_SIZE} slots by start time: follow `next` "
        "for more (`previous` is always null: go back by starting again). Searches are "
        "limited per account (the RateLimit headers say where you stand): 429 beyond.",
        parameters=[SlotQuery, CURSOR],
        responses={200: page_of(SlotOutput), **problems(RateLimited)},
        examples=examples.SLOTS,
    )
    def get(self, request: Request) -> HttpResponse:
        user = signed_in_user(request)
        _count_search(user_id=user.pk)
        # The usual search (written as the schema shows it, a cursor of ours or none) is
        # answered from the catalog without SlotQuery and written straight to JSON; anything
        # else, errors included, the long way below.
        plain = plain_slot_query(request.query_params)
        if plain is not None:
            position = _cursor_position(request)
            found = (
                _from_the_catalog(plain, respect_lead_time=permissions.lead_time_applies(user=user))
                if position is not None or not request.query_params.get(CURSOR_PARAMETER)
                else None
            )
            if found is not None:
                catalog, times = found
                visit = catalog.appointment_type
                rows = _rows_from(times, position, SLOT_PAGE_SIZE + 1)
                page = rows[:SLOT_PAGE_SIZE]
                next_url = _next_url(request, page[-1]) if len(rows) > SLOT_PAGE_SIZE else None
                if request.accepted_media_type == JSON:
                    return HttpResponse(
                        slot_page_json(
                            page, duration_minutes=visit.duration_minutes, next_url=next_url
                        ),
                        content_type=JSON,
                    )
                return Response(
                    {
                        "next": next_url,
                        "previous": None,
                        "results": slot_rows_output(page, duration_minutes=visit.duration_minutes),
                    }
                )
        search = query_parameters(request, SlotQuery)
        appointment_type = search["appointment_type"]
        times = free_slot_times(
            appointment_type=appointment_type,
            practitioners=slot_practitioners(
                appointment_type=appointment_type,
                practitioner=search.get("practitioner"),
                department=search.get("department"),
            ),
            date_from=search["date_from"],
            date_to=search["date_to"],
            now=timezone.now(),
            respect_lead_time=permissions.lead_time_applies(user=user),
        )
        # One more than a page: keyset_page links the next page if there is one.
        rows = _rows_from(times, _cursor_position(request), SLOT_PAGE_SIZE + 1)
        return keyset_page(
            request,
            rows,
            key=slot_key,
            render=lambda page: slot_rows_output(
                page, duration_minutes=appointment_type.duration_minutes
            ),
            page_size=SLOT_PAGE_SIZE,
        )
