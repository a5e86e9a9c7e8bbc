"""Appointments: the list, booking, one appointment, moving, cancelling, the visit's status
changes and the calendar file."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments import ical
from appointments.apis import examples
from appointments.apis.idempotency import IDEMPOTENCY_KEY, idempotent
from appointments.errors import AppointmentNotFound
from appointments.models import Appointment
from appointments.selectors.appointments import appointment_get, appointment_list
from appointments.serializers.bookings import (
    AppointmentFilter,
    AppointmentOutput,
    BookInput,
    CancelInput,
    RescheduleInput,
)
from appointments.services import booking
from appointments.services.status import appointment_set_status
from core.api import PROBLEM, django_request


def _visible_appointment(request: Request, appointment_id: uuid.UUID) -> Appointment:
    appointment = appointment_get(user=signed_in_user(request), public_id=appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


def _output(request: Request, appointment: Appointment, code: int = status.HTTP_200_OK) -> Response:
    """The appointment as the signed-in user may see it."""
    return Response(
        AppointmentOutput(appointment, context={"viewer": signed_in_user(request)}).data,
        status=code,
    )


# What a change of one booking documents: its key header and its outcomes.
_BOOKING_CHANGE: dict[str, Any] = {
    "tags": ["appointments"],
    "parameters": [IDEMPOTENCY_KEY],
    "responses": {200: AppointmentOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
}


class ByStartPagination(CursorPagination):
    ordering = "start"
    page_size = 50


class AppointmentListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Appointments you may see",
        description="Patients: their own. Doctors and nurses: their own appointments, and the "
        "other appointments of patients they care for (an upcoming appointment with them, or "
        "one that ended in the last APPOINTMENT_CARE_RELATIONSHIP_DAYS days; cancelled ones do "
        "not count). Reception and administrators: all. `reason` is filled only for the patient "
        "and the visit's practitioner.",
        parameters=[
            OpenApiParameter("when", OpenApiTypes.STR, enum=["upcoming", "past"]),
            OpenApiParameter("status", OpenApiTypes.STR),
        ],
        responses={200: AppointmentOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        filters = AppointmentFilter(data=request.query_params)
        filters.is_valid(raise_exception=True)
        user = signed_in_user(request)
        appointments = appointment_list(user=user, now=timezone.now(), **filters.validated_data)
        paginator = ByStartPagination()
        page = paginator.paginate_queryset(appointments, request, view=self)
        return paginator.get_paginated_response(
            AppointmentOutput(page, many=True, context={"viewer": user}).data
        )

    @extend_schema(
        tags=["appointments"],
        summary="Book an appointment",
        request=BookInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: AppointmentOutput,
            400: PROBLEM,
            403: PROBLEM,
            409: OpenApiResponse(description="SLOT_TAKEN or PATIENT_OVERLAP"),
            422: PROBLEM,
        },
        examples=examples.BOOKING,
    )
    @idempotent(scope="appointments.book")
    def post(self, request: Request) -> Response:
        data = BookInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        booked = booking.appointment_book(
            actor=user,
            patient=data.validated_data.get("patient") or user,
            practitioner=data.validated_data["practitioner"],
            appointment_type=data.validated_data["appointment_type"],
            start=data.validated_data["start"],
            reason=data.validated_data["reason"],
            channel=Appointment.Channel.API,
            request=django_request(request),
        )
        return _output(request, booked, status.HTTP_201_CREATED)


class AppointmentDetailApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="One appointment",
        responses={200: AppointmentOutput, 404: PROBLEM},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> Response:
        return _output(request, _visible_appointment(request, appointment_id))


class RescheduleApi(APIView):
    @extend_schema(
        summary="Move a booking",
        description="Atomic: the old time is released only if the new one is taken.",
        request=RescheduleInput,
        **_BOOKING_CHANGE,
    )
    @idempotent(scope="appointments.reschedule:{appointment_id}")
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        moved = booking.appointment_reschedule(
            actor=signed_in_user(request),
            appointment=_visible_appointment(request, appointment_id),
            new_start=data.validated_data["start"],
            new_practitioner=data.validated_data.get("practitioner"),
            request=django_request(request),
        )
        return _output(request, moved)


class CancelApi(APIView):
    @extend_schema(
        summary="Cancel a booking",
        description="Patients: up to the cut-off before the start. Staff: any time, with a reason.",
        request=CancelInput,
        **_BOOKING_CHANGE,
    )
    @idempotent(scope="appointments.cancel:{appointment_id}")
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        cancelled = booking.appointment_cancel(
            actor=signed_in_user(request),
            appointment=_visible_appointment(request, appointment_id),
            reason=data.validated_data["reason"],
            request=django_request(request),
        )
        return _output(request, cancelled)


# One step of the visit, named by ``to_status``; each subclass is one URL. (A class docstring
# would become the operations' description in the schema.)
class StatusChangeApi(APIView):
    to_status: ClassVar[str]

    @extend_schema(
        tags=["appointments"],
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: AppointmentOutput, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    @idempotent(scope="appointments.{view.to_status}:{appointment_id}", body=False)
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        changed = appointment_set_status(
            actor=signed_in_user(request),
            appointment=_visible_appointment(request, appointment_id),
            to_status=self.to_status,
            request=django_request(request),
        )
        return _output(request, changed)


@extend_schema_view(post=extend_schema(summary="Check the patient in (reception)"))
class CheckInApi(StatusChangeApi):
    to_status = Appointment.Status.CHECKED_IN


@extend_schema_view(post=extend_schema(summary="Start the visit (its practitioner)"))
class StartApi(StatusChangeApi):
    to_status = Appointment.Status.IN_PROGRESS


@extend_schema_view(post=extend_schema(summary="Complete the visit (its practitioner)"))
class CompleteApi(StatusChangeApi):
    to_status = Appointment.Status.COMPLETED


@extend_schema_view(post=extend_schema(summary="Record a no-show (after the grace period)"))
class NoShowApi(StatusChangeApi):
    to_status = Appointment.Status.NO_SHOW


class AppointmentIcsApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="The appointment as an iCalendar file",
        responses={(200, "text/calendar"): OpenApiTypes.STR, 404: PROBLEM},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> HttpResponse:
        return ical.appointment_file(_visible_appointment(request, appointment_id))
