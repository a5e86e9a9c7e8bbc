"""The appointments REST API (/api/v1/...). Thin: parse, call a selector or service, render.

Every POST that creates or changes a booking accepts an ``Idempotency-Key`` header: a
retried request returns the first result and books nothing twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Department, User
from accounts.roles import Role
from appointments import ical, permissions, selectors
from appointments.errors import AppointmentNotFound, NotAllowed
from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WorkingHours,
)
from appointments.selectors.slots import free_slots
from appointments.serializers import (
    AppointmentOutput,
    AppointmentTypeOutput,
    BookInput,
    CancelInput,
    ExceptionSerializer,
    FeedOutput,
    PractitionerSummary,
    RescheduleInput,
    SlotOutput,
    SlotQuery,
    WaitlistInput,
    WaitlistOutput,
    WorkingHoursSerializer,
)
from appointments.services import availability, booking, calendar, waitlist
from appointments.services.idempotency import idempotent

PROBLEM = OpenApiResponse(description="Problem details (RFC 9457): code, detail, field errors.")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key (e.g. a UUID) per intended change; a retry with the same key and body returns the first result.",
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - IsAuthenticated ran
    return request.user


def _http(request: Request) -> HttpRequest:
    return request._request


def _get_or_field_error(queryset: Any, field: str, public_id: uuid.UUID | None, label: str) -> Any:
    found = queryset.filter(public_id=public_id).first() if public_id else None
    if found is None:
        raise serializers.ValidationError({field: f"No such {label}."})
    return found


def _channel(request: Request, user: User) -> str:
    return Appointment.Channel.API if user.role == Role.PATIENT else Appointment.Channel.RECEPTION


def _appointment(request: Request, appointment_id: uuid.UUID) -> Appointment:
    appointment = selectors.appointment_get(user=_user(request), public_id=appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


def _idempotent_response(
    request: Request, *, user: User, scope: str, payload: Any, operation: Any
) -> Response:
    """Run a booking change once per Idempotency-Key and answer with its (stored) result."""
    code, body, _ = idempotent(
        user=user,
        key=request.headers.get("Idempotency-Key"),
        scope=scope,
        payload=payload,
        operation=operation,
    )
    return Response(
        body, status=code, content_type="application/problem+json" if code >= 400 else None
    )


class ByStartPagination(CursorPagination):
    ordering = "start"
    page_size = 50


# --- Finding a time ---------------------------------------------------------------------------


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
        department = request.query_params.get("department")
        department_id = None
        if department:
            department_id = _get_or_field_error(
                Department.objects,
                "department",
                _uuid_param(department, "department"),
                "department",
            ).pk
        types = selectors.appointment_types_for(
            department_id=department_id, patient_bookable_only=_user(request).role == Role.PATIENT
        )
        return Response(AppointmentTypeOutput(types, many=True).data)


def _uuid_param(value: str, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise serializers.ValidationError({name: "Must be a valid UUID."}) from None


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
        department_id, appointment_type = None, None
        if request.query_params.get("department"):
            department_id = _get_or_field_error(
                Department.objects,
                "department",
                _uuid_param(request.query_params["department"], "department"),
                "department",
            ).pk
        if request.query_params.get("appointment_type"):
            appointment_type = _get_or_field_error(
                AppointmentType.objects,
                "appointment_type",
                _uuid_param(request.query_params["appointment_type"], "appointment_type"),
                "appointment type",
            )
        practitioners = selectors.practitioners_for(
            department_id=department_id, appointment_type=appointment_type
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
        examples=[
            OpenApiExample(
                "Slot",
                value=[
                    {
                        "start": "2026-03-02T09:00:00Z",
                        "end": "2026-03-02T09:30:00Z",
                        "local_start": "2026-03-02T09:00:00+00:00",
                        "practitioner": {
                            "id": "0b7c…",
                            "name": "Dr Gregory House",
                            "department": "General Practice",
                            "time_zone": "Europe/London",
                        },
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request: Request) -> Response:
        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        appointment_type = _get_or_field_error(
            AppointmentType.objects.filter(is_active=True),
            "appointment_type",
            data["appointment_type"],
            "appointment type",
        )
        if data.get("practitioner"):
            practitioners = list(
                selectors.practitioners_for(appointment_type=appointment_type).filter(
                    public_id=data["practitioner"]
                )
            )
            if not practitioners:
                raise serializers.ValidationError(
                    {"practitioner": "No such practitioner offering this appointment type."}
                )
        else:
            department = appointment_type.department
            if data.get("department"):
                department = _get_or_field_error(
                    Department.objects, "department", data["department"], "department"
                )
            practitioners = list(
                selectors.practitioners_for(
                    department_id=department.pk, appointment_type=appointment_type
                )
            )
        slots = free_slots(
            appointment_type=appointment_type,
            practitioners=practitioners,
            date_from=data["date_from"],
            date_to=data["date_to"],
            now=timezone.now(),
            respect_lead_time=_user(request).role == Role.PATIENT,
        )
        return Response(SlotOutput(slots, many=True).data)


# --- Appointments ------------------------------------------------------------------------------


class AppointmentListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Appointments you may see",
        description="Patients: their own. Doctors and nurses: their schedule and their patients'. Reception: all.",
        parameters=[
            OpenApiParameter("when", OpenApiTypes.STR, enum=["upcoming", "past"]),
            OpenApiParameter("status", OpenApiTypes.STR),
        ],
        responses={200: AppointmentOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        appointments = selectors.appointments_visible_to(user=_user(request))
        when = request.query_params.get("when")
        if when == "upcoming":
            appointments = appointments.filter(end__gte=timezone.now())
        elif when == "past":
            appointments = appointments.filter(end__lt=timezone.now())
        elif when:
            raise serializers.ValidationError({"when": "Use 'upcoming' or 'past'."})
        if request.query_params.get("status"):
            if request.query_params["status"] not in Appointment.Status.values:
                raise serializers.ValidationError(
                    {"status": f"One of {', '.join(Appointment.Status.values)}."}
                )
            appointments = appointments.filter(status=request.query_params["status"])
        paginator = ByStartPagination()
        page = paginator.paginate_queryset(appointments, request, view=self)
        return paginator.get_paginated_response(
            AppointmentOutput(page, many=True, context={"viewer": _user(request)}).data
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
        examples=[
            OpenApiExample(
                "Request",
                value={
                    "appointment_type": "3f1c…",
                    "practitioner": "0b7c…",
                    "start": "2026-03-02T09:00:00Z",
                    "reason": "Follow-up",
                },
                request_only=True,
            ),
            OpenApiExample(
                "Lost the race",
                value={
                    "type": "urn:hospital:error:slot_taken",
                    "code": "SLOT_TAKEN",
                    "title": "Conflict",
                    "status": 409,
                    "detail": "Sorry, that time was just booked by someone else. Please choose another time.",
                },
                response_only=True,
                status_codes=["409"],
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = BookInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        values = data.validated_data

        def book() -> tuple[int, dict[str, Any]]:
            appointment_type = _get_or_field_error(
                AppointmentType.objects.filter(is_active=True),
                "appointment_type",
                values["appointment_type"],
                "appointment type",
            )
            practitioner = _get_or_field_error(
                Practitioner.objects.filter(is_active=True),
                "practitioner",
                values["practitioner"],
                "practitioner",
            )
            patient = user
            if values.get("patient"):
                if user.role == Role.PATIENT:
                    raise NotAllowed("Patients book for themselves.")
                patient = _get_or_field_error(
                    User.objects.filter(role=Role.PATIENT), "patient", values["patient"], "patient"
                )
            appointment = booking.appointment_book(
                actor=user,
                patient=patient,
                practitioner=practitioner,
                appointment_type=appointment_type,
                start=values["start"],
                reason=values["reason"],
                channel=_channel(request, user),
                request=_http(request),
            )
            return status.HTTP_201_CREATED, dict(
                AppointmentOutput(appointment, context={"viewer": user}).data
            )

        return _idempotent_response(
            request, user=user, scope="appointments.book", payload=request.data, operation=book
        )


class AppointmentDetailApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="One appointment",
        responses={200: AppointmentOutput, 404: PROBLEM},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> Response:
        return Response(
            AppointmentOutput(
                _appointment(request, appointment_id), context={"viewer": _user(request)}
            ).data
        )


class RescheduleApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Move a booking",
        description="Atomic: the old time is released only if the new one is taken.",
        request=RescheduleInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: AppointmentOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        appointment = _appointment(request, appointment_id)

        def move() -> tuple[int, dict[str, Any]]:
            new_practitioner = None
            if data.validated_data.get("practitioner"):
                new_practitioner = _get_or_field_error(
                    Practitioner.objects.filter(is_active=True),
                    "practitioner",
                    data.validated_data["practitioner"],
                    "practitioner",
                )
            moved = booking.appointment_reschedule(
                actor=user,
                appointment=appointment,
                new_start=data.validated_data["start"],
                new_practitioner=new_practitioner,
                request=_http(request),
            )
            return status.HTTP_200_OK, dict(AppointmentOutput(moved, context={"viewer": user}).data)

        return _idempotent_response(
            request,
            user=user,
            scope=f"appointments.reschedule:{appointment_id}",
            payload=request.data,
            operation=move,
        )


class CancelApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Cancel a booking",
        description="Patients: up to the cut-off before the start. Staff: any time, with a reason.",
        request=CancelInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: AppointmentOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = CancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = _user(request)
        appointment = _appointment(request, appointment_id)

        def cancel() -> tuple[int, dict[str, Any]]:
            cancelled = booking.appointment_cancel(
                actor=user,
                appointment=appointment,
                reason=data.validated_data["reason"],
                request=_http(request),
            )
            return status.HTTP_200_OK, dict(
                AppointmentOutput(cancelled, context={"viewer": user}).data
            )

        return _idempotent_response(
            request,
            user=user,
            scope=f"appointments.cancel:{appointment_id}",
            payload=request.data,
            operation=cancel,
        )


def _status_view(to_status: str, summary: str) -> type[APIView]:
    class StatusApi(APIView):
        @extend_schema(
            tags=["appointments"],
            summary=summary,
            request=None,
            parameters=[IDEMPOTENCY_KEY],
            responses={200: AppointmentOutput, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        )
        def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
            user = _user(request)
            appointment = _appointment(request, appointment_id)

            def change() -> tuple[int, dict[str, Any]]:
                changed = booking.appointment_set_status(
                    actor=user, appointment=appointment, to_status=to_status, request=_http(request)
                )
                return status.HTTP_200_OK, dict(
                    AppointmentOutput(changed, context={"viewer": user}).data
                )

            return _idempotent_response(
                request,
                user=user,
                scope=f"appointments.{to_status}:{appointment_id}",
                payload={},
                operation=change,
            )

    StatusApi.__name__ = StatusApi.__qualname__ = f"{to_status.title().replace('_', '')}Api"
    return StatusApi


CheckInApi = _status_view(Appointment.Status.CHECKED_IN, "Check the patient in (reception)")
StartApi = _status_view(Appointment.Status.IN_PROGRESS, "Start the visit (its practitioner)")
CompleteApi = _status_view(Appointment.Status.COMPLETED, "Complete the visit (its practitioner)")
NoShowApi = _status_view(Appointment.Status.NO_SHOW, "Record a no-show (after the grace period)")


class AppointmentIcsApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="The appointment as an iCalendar file",
        responses={(200, "text/calendar"): OpenApiTypes.STR, 404: PROBLEM},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> HttpResponse:
        appointment = _appointment(request, appointment_id)
        response = HttpResponse(
            ical.render_calendar([appointment], name="Appointment"),
            content_type="text/calendar; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="appointment-{appointment.public_id}.ics"'
        )
        return response


# --- Waitlist ---------------------------------------------------------------------------------


class WaitlistApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Your waitlist entries",
        responses={200: WaitlistOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(WaitlistOutput(selectors.waitlist_of(user=_user(request)), many=True).data)

    @extend_schema(
        tags=["waitlist"],
        summary="Join the waitlist",
        request=WaitlistInput,
        responses={201: WaitlistOutput, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = WaitlistInput(data=request.data)
        data.is_valid(raise_exception=True)
        user, values = _user(request), data.validated_data
        appointment_type = _get_or_field_error(
            AppointmentType.objects.filter(is_active=True),
            "appointment_type",
            values["appointment_type"],
            "appointment type",
        )
        practitioner = None
        if values.get("practitioner"):
            practitioner = _get_or_field_error(
                Practitioner.objects.filter(is_active=True),
                "practitioner",
                values["practitioner"],
                "practitioner",
            )
        patient = user
        if values.get("patient") and user.role != Role.PATIENT:
            patient = _get_or_field_error(
                User.objects.filter(role=Role.PATIENT), "patient", values["patient"], "patient"
            )
        entry = waitlist.waitlist_join(
            actor=user,
            patient=patient,
            appointment_type=appointment_type,
            practitioner=practitioner,
            date_from=values["date_from"],
            date_to=values["date_to"],
            request=_http(request),
        )
        return Response(WaitlistOutput(entry).data, status=status.HTTP_201_CREATED)


class WaitlistEntryApi(APIView):
    @extend_schema(
        tags=["waitlist"], summary="Leave the waitlist", responses={204: None, 404: PROBLEM}
    )
    def delete(self, request: Request, entry_id: uuid.UUID) -> Response:
        entry = selectors.waitlist_of(user=_user(request)).filter(public_id=entry_id).first()
        if entry is None:
            raise AppointmentNotFound("No such waitlist entry.")
        waitlist.waitlist_leave(actor=_user(request), entry=entry, request=_http(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistAcceptApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Accept an offered time",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: AppointmentOutput, 409: PROBLEM},
    )
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        user = _user(request)

        def accept() -> tuple[int, dict[str, Any]]:
            booked = waitlist.waitlist_accept(
                actor=user, hold_public_id=appointment_id, request=_http(request)
            )
            return status.HTTP_200_OK, dict(
                AppointmentOutput(booked, context={"viewer": user}).data
            )

        return _idempotent_response(
            request,
            user=user,
            scope=f"waitlist.accept:{appointment_id}",
            payload={},
            operation=accept,
        )


class WaitlistDeclineApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Decline an offered time (you keep waiting)",
        request=None,
        responses={204: None, 409: PROBLEM},
    )
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        waitlist.waitlist_decline(
            actor=_user(request), hold_public_id=appointment_id, request=_http(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Calendar feed ------------------------------------------------------------------------------


class CalendarFeedApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Create (or replace) your private calendar feed URL",
        description="Subscribe to it in a calendar app. Creating a new one stops the old URL working.",
        request=None,
        responses={201: FeedOutput},
    )
    def post(self, request: Request) -> Response:
        token = calendar.calendar_feed_create(user=_user(request), request=_http(request))
        url = request.build_absolute_uri(reverse("appointments:calendar_feed", args=[token]))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["appointments"], summary="Revoke your calendar feed URL", responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        calendar.calendar_feed_revoke(user=_user(request), request=_http(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Schedule management (administrators) ---------------------------------------------------------


def _managed_practitioner(request: Request, practitioner_id: uuid.UUID) -> Practitioner:
    if not permissions.can_manage_schedules(user=_user(request)):
        raise NotAllowed("Only administrators manage schedules.")
    practitioner = Practitioner.objects.filter(public_id=practitioner_id).first()
    if practitioner is None:
        raise AppointmentNotFound("No such practitioner.")
    return practitioner


class WorkingHoursApi(APIView):
    @extend_schema(
        tags=["schedules"],
        summary="A practitioner's weekly working hours",
        responses={200: WorkingHoursSerializer(many=True)},
    )
    def get(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        return Response(WorkingHoursSerializer(practitioner.working_hours.all(), many=True).data)

    @extend_schema(
        tags=["schedules"],
        summary="Add weekly working hours",
        request=WorkingHoursSerializer,
        responses={201: WorkingHoursSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        data = WorkingHoursSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = availability.working_hours_add(
            actor=_user(request),
            practitioner=practitioner,
            request=_http(request),
            **data.validated_data,
        )
        return Response(WorkingHoursSerializer(rule).data, status=status.HTTP_201_CREATED)


class WorkingHoursDetailApi(APIView):
    @extend_schema(
        tags=["schedules"],
        summary="Remove weekly working hours",
        responses={204: None, 403: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request: Request, practitioner_id: uuid.UUID, rule_id: int) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        rule = WorkingHours.objects.filter(practitioner=practitioner, pk=rule_id).first()
        if rule is None:
            raise AppointmentNotFound("No such working hours.")
        availability.working_hours_remove(actor=_user(request), rule=rule, request=_http(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExceptionApi(APIView):
    @extend_schema(
        tags=["schedules"],
        summary="A practitioner's leave and blocked time",
        responses={200: ExceptionSerializer(many=True)},
    )
    def get(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        return Response(ExceptionSerializer(practitioner.exceptions.all(), many=True).data)

    @extend_schema(
        tags=["schedules"],
        summary="Take time out of a schedule",
        request=ExceptionSerializer,
        responses={201: ExceptionSerializer, 400: PROBLEM, 403: PROBLEM},
    )
    def post(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        data = ExceptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        exception = availability.exception_add(
            actor=_user(request),
            practitioner=practitioner,
            request=_http(request),
            **data.validated_data,
        )
        return Response(ExceptionSerializer(exception).data, status=status.HTTP_201_CREATED)


class ExceptionDetailApi(APIView):
    @extend_schema(
        tags=["schedules"],
        summary="Give time back to a schedule",
        responses={204: None, 403: PROBLEM, 404: PROBLEM},
    )
    def delete(self, request: Request, practitioner_id: uuid.UUID, exception_id: int) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        exception = AvailabilityException.objects.filter(
            practitioner=practitioner, pk=exception_id
        ).first()
        if exception is None:
            raise AppointmentNotFound("No such exception.")
        availability.exception_remove(
            actor=_user(request), exception=exception, request=_http(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
