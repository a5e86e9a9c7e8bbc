"""Schedule management (administrators): a practitioner's weekly working hours, and their
leave and blocked time. The two kinds of entry share one implementation; each class names
its serializer, its selector and its services, and documents its own operations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from accounts.models import User
from appointments import permissions
from appointments.errors import AppointmentNotFound, NotAllowed
from appointments.models import AvailabilityException, Practitioner, WorkingHours
from appointments.selectors.schedules import exceptions_of, practitioner_get, working_hours_of
from appointments.serializers.schedules import ExceptionSerializer, WorkingHoursSerializer
from appointments.services import availability
from core.api import PROBLEM, django_request

_Entry = TypeVar("_Entry", bound=Model)
_Api = TypeVar("_Api", bound=APIView)


def _managed_practitioner(request: Request, practitioner_id: uuid.UUID) -> Practitioner:
    if not permissions.can_manage_schedules(user=signed_in_user(request)):
        raise NotAllowed("Only administrators manage schedules.")
    practitioner = practitioner_get(public_id=practitioner_id)
    if practitioner is None:
        raise AppointmentNotFound("No such practitioner.")
    return practitioner


# Class docstrings would become operation descriptions in the schema: comments instead.


# How one kind of entry is shown, read, added and removed.
class _ScheduleEntries(Generic[_Entry]):
    serializer: ClassVar[type[serializers.ModelSerializer[Any]]]
    not_found: ClassVar[str]

    def entries(self, practitioner: Practitioner) -> QuerySet[_Entry]:
        raise NotImplementedError

    def add(
        self, *, actor: User, practitioner: Practitioner, request: HttpRequest, **fields: Any
    ) -> _Entry:
        raise NotImplementedError

    def remove(self, *, actor: User, entry: _Entry, request: HttpRequest) -> None:
        raise NotImplementedError


# A practitioner's entries of one kind: list them, add one.
class _ScheduleEntriesApi(APIView, _ScheduleEntries[_Entry]):
    def get(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        return Response(self.serializer(self.entries(practitioner), many=True).data)

    def post(self, request: Request, practitioner_id: uuid.UUID) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        data = self.serializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = self.add(
            actor=signed_in_user(request),
            practitioner=practitioner,
            request=django_request(request),
            **data.validated_data,
        )
        return Response(self.serializer(entry).data, status=status.HTTP_201_CREATED)


# One entry: remove it (each subclass names the URL's id in its own ``delete``).
class _ScheduleEntryApi(APIView, _ScheduleEntries[_Entry]):
    def remove_entry(
        self, request: Request, practitioner_id: uuid.UUID, entry_id: uuid.UUID
    ) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        entry = self.entries(practitioner).filter(public_id=entry_id).first()
        if entry is None:
            raise AppointmentNotFound(self.not_found)
        self.remove(actor=signed_in_user(request), entry=entry, request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _WorkingHours(_ScheduleEntries[WorkingHours]):
    serializer = WorkingHoursSerializer
    not_found = "No such working hours."

    def entries(self, practitioner: Practitioner) -> QuerySet[WorkingHours]:
        return working_hours_of(practitioner=practitioner)

    def add(
        self, *, actor: User, practitioner: Practitioner, request: HttpRequest, **fields: Any
    ) -> WorkingHours:
        return availability.working_hours_add(
            actor=actor, practitioner=practitioner, request=request, **fields
        )

    def remove(self, *, actor: User, entry: WorkingHours, request: HttpRequest) -> None:
        availability.working_hours_remove(actor=actor, rule=entry, request=request)


class _Exceptions(_ScheduleEntries[AvailabilityException]):
    serializer = ExceptionSerializer
    not_found = "No such exception."

    def entries(self, practitioner: Practitioner) -> QuerySet[AvailabilityException]:
        return exceptions_of(practitioner=practitioner)

    def add(
        self, *, actor: User, practitioner: Practitioner, request: HttpRequest, **fields: Any
    ) -> AvailabilityException:
        return availability.exception_add(
            actor=actor, practitioner=practitioner, request=request, **fields
        )

    def remove(self, *, actor: User, entry: AvailabilityException, request: HttpRequest) -> None:
        availability.exception_remove(actor=actor, exception=entry, request=request)


_REMOVED = {204: None, 403: PROBLEM, 404: PROBLEM}


def _listed_and_added(
    serializer: type[serializers.ModelSerializer[Any]], *, listed: str, added: str
) -> Callable[[type[_Api]], type[_Api]]:
    """The schema of one kind's list and add operations."""
    return extend_schema_view(
        get=extend_schema(
            tags=["schedules"], summary=listed, responses={200: serializer(many=True)}
        ),
        post=extend_schema(
            tags=["schedules"],
            summary=added,
            request=serializer,
            responses={201: serializer, 400: PROBLEM, 403: PROBLEM},
        ),
    )


@_listed_and_added(
    WorkingHoursSerializer,
    listed="A practitioner's weekly working hours",
    added="Add weekly working hours",
)
class WorkingHoursApi(_WorkingHours, _ScheduleEntriesApi[WorkingHours]):
    pass


class WorkingHoursDetailApi(_WorkingHours, _ScheduleEntryApi[WorkingHours]):
    @extend_schema(tags=["schedules"], summary="Remove weekly working hours", responses=_REMOVED)
    def delete(self, request: Request, practitioner_id: uuid.UUID, rule_id: uuid.UUID) -> Response:
        return self.remove_entry(request, practitioner_id, rule_id)


@_listed_and_added(
    ExceptionSerializer,
    listed="A practitioner's leave and blocked time",
    added="Take time out of a schedule",
)
class ExceptionApi(_Exceptions, _ScheduleEntriesApi[AvailabilityException]):
    pass


class ExceptionDetailApi(_Exceptions, _ScheduleEntryApi[AvailabilityException]):
    @extend_schema(tags=["schedules"], summary="Give time back to a schedule", responses=_REMOVED)
    def delete(
        self, request: Request, practitioner_id: uuid.UUID, exception_id: uuid.UUID
    ) -> Response:
        return self.remove_entry(request, practitioner_id, exception_id)
