"""Finding a time: appointment types, practitioners, free slots."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments import permissions
from appointments.apis import examples
from appointments.selectors.schedules import (
    appointment_types_bookable_by,
    practitioners_for,
    practitioners_offering,
)
from appointments.selectors.slots import Slot, free_slots
from appointments.serializers.slots import (
    AppointmentTypeFilter,
    AppointmentTypeOutput,
    PractitionerFilter,
    PractitionerSummary,
    SlotOutput,
    SlotQuery,
)
from core.api import CURSOR, cursor_page, keyset_page, page_of, query_parameters

# A page of slots: a day of a large department fits in a few pages.
SLOT_PAGE_SIZE = 100


def _slot_key(slot: Slot) -> tuple[str, str]:
    # ISO 8601 in UTC sorts like the times; the practitioner breaks ties.
    return (slot.start.astimezone(datetime.UTC).isoformat(), str(slot.practitioner.public_id))


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
        "for more (`previous` is always null: go back by starting again).",
        parameters=[SlotQuery, CURSOR],
        responses={200: page_of(SlotOutput)},
        examples=examples.SLOTS,
    )
    def get(self, request: Request) -> Response:
        search = query_parameters(request, SlotQuery)
        slots = free_slots(
            appointment_type=search["appointment_type"],
            practitioners=practitioners_offering(
                appointment_type=search["appointment_type"],
                practitioner=search.get("practitioner"),
                department=search.get("department"),
            ),
            date_from=search["date_from"],
            date_to=search["date_to"],
            now=timezone.now(),
            respect_lead_time=permissions.lead_time_applies(user=signed_in_user(request)),
        )
        return keyset_page(
            request,
            sorted(slots, key=_slot_key),
            key=_slot_key,
            render=lambda page: SlotOutput(page, many=True).data,
            page_size=SLOT_PAGE_SIZE,
        )
