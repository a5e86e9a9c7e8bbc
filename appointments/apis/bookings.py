"""Appointments: the list, booking, one appointment, moving, cancelling, the visit's status
changes and the calendar file."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from accounts.models import User
from appointments import ical
from appointments.apis import examples
from appointments.errors import (
    AppointmentNotFound,
    CancelTooLate,
    CheckInNotOpen,
    InvalidTransition,
    NotAllowed,
    PatientHasOverlap,
    SlotTaken,
    SlotUnavailable,
    VisitNotCheckedIn,
    VisitNotStarted,
)
from appointments.models import Appointment
from appointments.selectors.appointments import (
    appointment_for_update,
    appointment_get,
    appointment_list_rows,
)
from appointments.serializers.book_request import BookRequest
from appointments.serializers.bookings import (
    LISTED_COLUMNS,
    AppointmentFilter,
    AppointmentOutput,
    BookInput,
    CancelInput,
    CompleteInput,
    RescheduleInput,
    appointment_shown,
    appointments_listed,
)
from appointments.services import booking
from appointments.services.status import appointment_set_status
from audit.access import viewed
from audit.services import AuditTarget
from core.api import CURSOR, cursor_page, django_request, page_of, problems, query_parameters
from core.conditional import (
    CONDITIONAL_READ,
    CONDITIONAL_UPDATE,
    NOT_MODIFIED,
    PreconditionFailed,
    conditional_read,
    require_if_match,
    with_etag,
)
from core.errors import VALIDATION_ERROR, IdempotencyInProgress, IdempotencyKeyReused
from core.idempotency import IDEMPOTENCY_KEY, idempotent


def _visible_appointment(request: Request, appointment_id: uuid.UUID) -> Appointment:
    appointment = appointment_get(user=signed_in_user(request), public_id=appointment_id)
    if appointment is None:
        raise AppointmentNotFound()
    return appointment


def _output(request: Request, appointment: Appointment, code: int = status.HTTP_200_OK) -> Response:
    """The appointment as the signed-in user may see it."""
    return Response(appointment_shown(appointment, viewer=signed_in_user(request)), status=code)


def _listed(page: Sequence[Mapping[str, Any]], viewer: User) -> list[Any]:
    """A page of the list, its patients' reads audited."""
    viewed(
        patients=[row["patient_id"] for row in page],
        target=AuditTarget("appointments.list"),
        actor=viewer,
    )
    return appointments_listed(page, viewer=viewer)


# Refusals of the Idempotency-Key mechanism (a malformed key is a VALIDATION_ERROR).
_IDEMPOTENCY = (IdempotencyKeyReused, IdempotencyInProgress, VALIDATION_ERROR)

# What a change of one booking documents: its key header and its outcomes.
_BOOKING_CHANGE: dict[str, Any] = {
    "tags": ["appointments"],
    "parameters": [IDEMPOTENCY_KEY],
}


class AppointmentListApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Appointments you may see",
        operation_id="appointments_list",
        description="Patients: their own. Doctors and nurses: their own appointments, and the "
        "other appointments of patients they care for (an upcoming appointment with them, or "
        "one that ended in the last APPOINTMENT_CARE_RELATIONSHIP_DAYS days; cancelled ones do "
        "not count). Reception and administrators: all. `reason` is filled only for the patient "
        "and the visit's practitioner. A cursor page (50 a page) by start time; the filters "
        "narrow it: a clinician's day is `?practitioner=me&date_from=2026-03-02&date_to="
        "2026-03-02`. Unknown parameters are refused (400).",
        parameters=[AppointmentFilter, CURSOR],
        responses={200: page_of(AppointmentOutput), **problems(VALIDATION_ERROR)},
        examples=examples.APPOINTMENTS,
    )
    def get(self, request: Request) -> Response:
        filters = query_parameters(request, AppointmentFilter)
        user = signed_in_user(request)
        rows = appointment_list_rows(
            user=user, now=timezone.now(), columns=LISTED_COLUMNS, **filters
        )
        return cursor_page(
            request,
            rows,
            ordering=("start", "pk"),
            render=lambda page: _listed(page, user),
        )

    @extend_schema(
        tags=["appointments"],
        summary="Book an appointment",
        operation_id="appointment_book",
        description="Patients book for themselves; reception and administrators for a "
        "`patient`. Take `start` and `practitioner` from GET /slots. SLOT_TAKEN (409): someone "
        "booked that time first; choose another. Send an `Idempotency-Key` to retry safely.",
        request=BookInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: AppointmentOutput,
            **problems(SlotUnavailable, NotAllowed, SlotTaken, PatientHasOverlap, *_IDEMPOTENCY),
        },
        examples=examples.BOOKING,
    )
    # The booking service undoes its own writes when it refuses: no savepoint around it.
    @idempotent(scope="appointments.book", savepoint=False)
    def post(self, request: Request) -> Response:
        data = BookRequest(data=request.data)
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
        operation_id="appointment_get",
        description="An appointment you may see; any other id is a 404 (never a 403).",
        parameters=CONDITIONAL_READ,
        responses={200: AppointmentOutput, 304: NOT_MODIFIED, **problems(AppointmentNotFound)},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> Response:
        shown = _output(request, _visible_appointment(request, appointment_id))
        return conditional_read(request, shown.data)


class RescheduleApi(APIView):
    @extend_schema(
        summary="Move a booking",
        operation_id="appointment_reschedule",
        description="Atomic: the old time is released only if the new one is taken.",
        request=RescheduleInput,
        responses={
            200: AppointmentOutput,
            **problems(
                SlotUnavailable,
                NotAllowed,
                AppointmentNotFound,
                SlotTaken,
                PatientHasOverlap,
                InvalidTransition,
                PreconditionFailed,
                *_IDEMPOTENCY,
            ),
        },
        **_BOOKING_CHANGE,
    )
    @extend_schema(parameters=CONDITIONAL_UPDATE)
    @idempotent(scope="appointments.reschedule:{appointment_id}", etag=True)
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = RescheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        # If-Match is compared with the row locked, so no change slips in between.
        with transaction.atomic():
            appointment = appointment_for_update(
                appointment=_visible_appointment(request, appointment_id)
            )
            require_if_match(request, _output(request, appointment).data)
            moved = booking.appointment_reschedule(
                actor=signed_in_user(request),
                appointment=appointment,
                new_start=data.validated_data["start"],
                new_practitioner=data.validated_data.get("practitioner"),
                request=django_request(request),
                locked=True,
            )
        return with_etag(_output(request, moved))


class CancelApi(APIView):
    @extend_schema(
        summary="Cancel a booking",
        operation_id="appointment_cancel",
        description="Patients: up to the cut-off before the start. Staff: any time, with a reason.",
        request=CancelInput,
        responses={
            200: AppointmentOutput,
            **problems(
                CancelTooLate, NotAllowed, AppointmentNotFound, InvalidTransition, *_IDEMPOTENCY
            ),
        },
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
        responses={
            200: AppointmentOutput,
            **problems(
                NotAllowed,
                AppointmentNotFound,
                InvalidTransition,
                CheckInNotOpen,
                VisitNotCheckedIn,
                VisitNotStarted,
                *_IDEMPOTENCY,
            ),
        },
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


@extend_schema_view(
    post=extend_schema(
        summary="Check the patient in (reception)",
        operation_id="appointment_check_in",
        description="Reception marks the patient arrived: booked -> checked_in.",
    )
)
class CheckInApi(StatusChangeApi):
    to_status = Appointment.Status.CHECKED_IN


@extend_schema_view(
    post=extend_schema(
        summary="Undo a check-in (reception)",
        operation_id="appointment_check_in_undo",
        description="A check-in recorded by mistake, undone before the visit starts: "
        "checked_in -> booked. Audited as appointments.check_in_undone.",
    )
)
class CheckInUndoApi(StatusChangeApi):
    to_status = Appointment.Status.BOOKED


@extend_schema_view(
    post=extend_schema(
        summary="Start the visit (its practitioner)",
        operation_id="appointment_start",
        description="The visit's practitioner starts it: checked_in -> in_progress.",
    )
)
class StartApi(StatusChangeApi):
    to_status = Appointment.Status.IN_PROGRESS


@extend_schema_view(
    post=extend_schema(
        summary="Complete the visit (its practitioner)",
        operation_id="appointment_complete",
        description="The visit's practitioner ends it: in_progress -> completed.",
    )
)
class CompleteApi(StatusChangeApi):
    to_status = Appointment.Status.COMPLETED

    @extend_schema(
        tags=["appointments"],
        request=CompleteInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: AppointmentOutput,
            **problems(
                VALIDATION_ERROR,
                NotAllowed,
                AppointmentNotFound,
                InvalidTransition,
                VisitNotStarted,
                *_IDEMPOTENCY,
            ),
        },
        examples=[
            OpenApiExample(
                "With a note",
                value={"note": "Blood pressure fine. Repeat the test in six months."},
                request_only=True,
            )
        ],
    )
    @idempotent(scope="appointments.completed:{appointment_id}")
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        data = CompleteInput(data=request.data or {})
        data.is_valid(raise_exception=True)
        changed = appointment_set_status(
            actor=signed_in_user(request),
            appointment=_visible_appointment(request, appointment_id),
            to_status=self.to_status,
            request=django_request(request),
            note=data.validated_data["note"],
        )
        return _output(request, changed)


@extend_schema_view(
    post=extend_schema(
        summary="Record a no-show (after the grace period)",
        operation_id="appointment_no_show",
        description="Staff record that the patient did not come, once the grace period after "
        "the start has passed: booked -> no_show.",
    )
)
class NoShowApi(StatusChangeApi):
    to_status = Appointment.Status.NO_SHOW


class AppointmentIcsApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="The appointment as an iCalendar file",
        operation_id="appointment_ics",
        description="One VEVENT (RFC 5545) to add the appointment to a calendar app.",
        responses={(200, "text/calendar"): OpenApiTypes.STR, **problems(AppointmentNotFound)},
    )
    def get(self, request: Request, appointment_id: uuid.UUID) -> HttpResponse:
        return ical.appointment_file(_visible_appointment(request, appointment_id))
