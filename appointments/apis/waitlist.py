"""The waitlist: a patient's entries, joining and leaving, and answering an offered time."""

from __future__ import annotations

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments.errors import (
    AppointmentNotFound,
    NotAllowed,
    OfferExpired,
)
from appointments.selectors.waitlist import waitlist_of
from appointments.serializers.bookings import AppointmentOutput
from appointments.serializers.waitlist import WaitlistInput, WaitlistOutput
from appointments.services import waitlist
from core.api import (
    CURSOR,
    cursor_page,
    django_request,
    page_of,
    problems,
    query_parameters,
)
from core.errors import VALIDATION_ERROR, IdempotencyInProgress, IdempotencyKeyReused
from core.idempotency import IDEMPOTENCY_KEY, idempotent


class WaitlistApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Your waitlist entries",
        operation_id="waitlist_list",
        description="Newest first, a cursor page of 50. An entry with `offered_appointment` "
        "has a time held for you: accept or decline it before it expires.",
        parameters=[CURSOR],
        responses={200: page_of(WaitlistOutput)},
    )
    def get(self, request: Request) -> Response:
        query_parameters(request)
        return cursor_page(
            request,
            waitlist_of(user=signed_in_user(request)),
            ordering=("-created_at", "-pk"),
            render=lambda page: WaitlistOutput(page, many=True).data,
        )

    @extend_schema(
        tags=["waitlist"],
        summary="Join the waitlist",
        operation_id="waitlist_join",
        description="Wait for a time of a type (with one practitioner, or any) between two "
        "dates; when one frees up it is held for you and offered.",
        request=WaitlistInput,
        responses={201: WaitlistOutput, **problems(VALIDATION_ERROR, NotAllowed)},
    )
    @idempotent(scope="waitlist.join")
    def post(self, request: Request) -> Response:
        data = WaitlistInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        entry = waitlist.waitlist_join(
            actor=user,
            patient=data.validated_data.get("patient") or user,
            appointment_type=data.validated_data["appointment_type"],
            practitioner=data.validated_data.get("practitioner"),
            date_from=data.validated_data["date_from"],
            date_to=data.validated_data["date_to"],
            request=django_request(request),
        )
        return Response(WaitlistOutput(entry).data, status=status.HTTP_201_CREATED)


class WaitlistEntryApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Leave the waitlist",
        operation_id="waitlist_leave",
        description="Removes one of your entries (a time held for it is released).",
        responses={204: None, **problems(AppointmentNotFound)},
    )
    def delete(self, request: Request, entry_id: uuid.UUID) -> Response:
        user = signed_in_user(request)
        entry = waitlist_of(user=user).filter(public_id=entry_id).first()
        if entry is None:
            raise AppointmentNotFound(_("No such waitlist entry."))
        waitlist.waitlist_leave(actor=user, entry=entry, request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WaitlistAcceptApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Accept an offered time",
        operation_id="waitlist_offer_accept",
        description="Books the time held for you; OFFER_EXPIRED (409) once the hold has "
        "passed or the offer was answered.",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            200: AppointmentOutput,
            **problems(
                OfferExpired,
                NotAllowed,
                IdempotencyKeyReused,
                IdempotencyInProgress,
                VALIDATION_ERROR,
            ),
        },
    )
    @idempotent(scope="waitlist.accept:{appointment_id}", body=False)
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        user = signed_in_user(request)
        booked = waitlist.waitlist_accept(
            actor=user, hold_public_id=appointment_id, request=django_request(request)
        )
        return Response(AppointmentOutput(booked, context={"viewer": user}).data)


class WaitlistDeclineApi(APIView):
    @extend_schema(
        tags=["waitlist"],
        summary="Decline an offered time (you keep waiting)",
        operation_id="waitlist_offer_decline",
        description="Releases the held time to the next patient; your entry keeps waiting.",
        request=None,
        responses={
            204: None,
            **problems(VALIDATION_ERROR, OfferExpired, NotAllowed, IdempotencyInProgress),
        },
    )
    @idempotent(scope="waitlist.decline:{appointment_id}", body=False)
    def post(self, request: Request, appointment_id: uuid.UUID) -> Response:
        waitlist.waitlist_decline(
            actor=signed_in_user(request),
            hold_public_id=appointment_id,
            request=django_request(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
