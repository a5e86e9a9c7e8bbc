"""Finding a time: appointment types, practitioners, free slots."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
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
from appointments.selectors.slots import free_slots
from appointments.serializers.slots import (
    AppointmentTypeFilter,
    AppointmentTypeOutput,
    PractitionerFilter,
    PractitionerSummary,
    SlotOutput,
    SlotQuery,
)
from core.api import PROBLEM


class AppointmentTypeListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Appointment types",
        parameters=[
            OpenApiParameter(
                "department", OpenApiTypes.UUID, description="Only this department's types."
            )
        ],
        responses={200: AppointmentTypeOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = AppointmentTypeFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        types = appointment_types_bookable_by(
            user=signed_in_user(request), department=filters.validated_data.get("department")
        )
        return Response(AppointmentTypeOutput(types, many=True).data)


class PractitionerListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Practitioners",
        parameters=[
            OpenApiParameter("department", OpenApiTypes.UUID),
            OpenApiParameter(
                "appointment_type", OpenApiTypes.UUID, description="Only those offering this type."
            ),
        ],
        responses={200: PractitionerSummary(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = PractitionerFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        department = filters.validated_data.get("department")
        practitioners = practitioners_for(
            department_id=department.pk if department else None,
            appointment_type=filters.validated_data.get("appointment_type"),
        )
        return Response(PractitionerSummary(practitioners, many=True).data)


class SlotListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Free slots",
        description="Free times of an appointment type, for one practitioner or a whole department, "
        "between two dates (at most 31 days). Dates are in each practitioner's time zone; "
        "times are returned in UTC with the local wall-clock time beside them.",
        parameters=[SlotQuery],
        responses={200: SlotOutput(many=True), 400: PROBLEM},
        examples=examples.SLOTS,
    )
    def get(self, request: Request) -> Response:
        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        search = query.validated_data
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
        return Response(SlotOutput(slots, many=True).data)
