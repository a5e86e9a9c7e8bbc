"""Schedule management (administrators): a practitioner's weekly working hours, and their
leave and blocked time. The two kinds of entry share one implementation; each class names
its serializer, its selector and its services, and documents its own operations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
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
from appointments.serializers.schedules import (
    ScheduleExceptionOutput,
    ScheduleExceptionSerializer,
    WorkingHoursOutput,
    WorkingHoursSerializer,
)
from appointments.services import availability
from core.api import (
    CURSOR,
    cursor_page,
    django_request,
    page_of,
    problems,
    query_parameters,
)
from core.errors import VALIDATION_ERROR
from core.idempotency import idempotent

_Entry = TypeVar("_Entry", bound=Model)
_Api = TypeVar("_Api", bound=APIView)


def _managed_practitioner(request: Request, practitioner_id: uuid.UUID) -> Practitioner:
    if not permissions.can_manage_schedules(user=signed_in_user(request)):
        raise NotAllowed(_("Only administrators manage schedules."))
    practitioner = practitioner_get(public_id=practitioner_id)
    if practitioner is None:
        raise AppointmentNotFound(_("No such practitioner."))
    return practitioner


# Class docstrings would become operation descriptions in the schema: comments instead.


# How one kind of entry is shown, read, added and removed.
class _ScheduleEntries(Generic[_Entry]):
    serializer: ClassVar[type[serializers.ModelSerializer[Any]]]
    output: ClassVar[type[serializers.ModelSerializer[Any]]]
    ordering: ClassVar[tuple[str, ...]]  # of the list's cursor pages
    # Marked with gettext_noop, translated when it is raised.
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
        query_parameters(request)
        practitioner = _managed_practitioner(request, practitioner_id)
        return cursor_page(
            request,
            self.entries(practitioner),
            ordering=self.ordering,
            render=lambda page: self.output(page, many=True).data,
        )

    @idempotent(scope="schedules.{view.__class__.__name__}:{practitioner_id}")
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
        return Response(self.output(entry).data, status=status.HTTP_201_CREATED)


# One entry: remove it (each subclass names the URL's id in its own ``delete``).
class _ScheduleEntryApi(APIView, _ScheduleEntries[_Entry]):
    def remove_entry(
        self, request: Request, practitioner_id: uuid.UUID, entry_id: uuid.UUID
    ) -> Response:
        practitioner = _managed_practitioner(request, practitioner_id)
        entry = self.entries(practitioner).filter(public_id=entry_id).first()
        if entry is None:
            raise AppointmentNotFound(_(self.not_found))
        self.remove(actor=signed_in_user(request), entry=entry, request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _WorkingHours(_ScheduleEntries[WorkingHours]):
    serializer = WorkingHoursSerializer
    output = WorkingHoursOutput
    ordering = ("weekday", "start_time", "pk")
    not_found = gettext_noop("No such working hours.")

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
    serializer = ScheduleExceptionSerializer
    output = ScheduleExceptionOutput
    ordering = ("start", "pk")
    not_found = gettext_noop("No such exception.")

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


_REFUSED = (NotAllowed, AppointmentNotFound)
_REMOVED = {204: None, **problems(*_REFUSED)}


def _listed_and_added(
    serializer: type[serializers.ModelSerializer[Any]],
    output: type[serializers.ModelSerializer[Any]],
    *,
    listed: str,
    added: str,
    name: str,
    description: str,
) -> Callable[[type[_Api]], type[_Api]]:
    """The schema of one kind's list and add operations (``name``: of the operation ids)."""
    return extend_schema_view(
        get=extend_schema(
            tags=["schedules"],
            summary=listed,
            operation_id=f"{name}_list",
            description=f"Administrators only. {description} A cursor page of 50.",
            parameters=[CURSOR],
            responses={200: page_of(output), **problems(VALIDATION_ERROR, *_REFUSED)},
        ),
        post=extend_schema(
            tags=["schedules"],
            summary=added,
            operation_id=f"{name}_add",
            description=f"Administrators only. {description}",
            request=serializer,
            responses={201: output, **problems(VALIDATION_ERROR, *_REFUSED)},
        ),
    )


@_listed_and_added(
    WorkingHoursSerializer,
    WorkingHoursOutput,
    listed="A practitioner's weekly working hours",
    added="Add weekly working hours",
    name="working_hours",
    description="Weekly blocks in the practitioner's time zone, valid between two dates; "
    "blocks of one weekday may not overlap.",
)
class WorkingHoursApi(_WorkingHours, _ScheduleEntriesApi[WorkingHours]):
    pass


class WorkingHoursDetailApi(_WorkingHours, _ScheduleEntryApi[WorkingHours]):
    @extend_schema(
        tags=["schedules"],
        summary="Remove weekly working hours",
        operation_id="working_hours_remove",
        description="Administrators only. Booked appointments stay booked.",
        responses=_REMOVED,
    )
    def delete(self, request: Request, practitioner_id: uuid.UUID, rule_id: uuid.UUID) -> Response:
        return self.remove_entry(request, practitioner_id, rule_id)


@_listed_and_added(
    ScheduleExceptionSerializer,
    ScheduleExceptionOutput,
    listed="A practitioner's leave and blocked time",
    added="Take time out of a schedule",
    name="schedule_exceptions",
    description="Leave and blocked time: no slots are offered in it.",
)
class ExceptionApi(_Exceptions, _ScheduleEntriesApi[AvailabilityException]):
    pass


class ExceptionDetailApi(_Exceptions, _ScheduleEntryApi[AvailabilityException]):
    @extend_schema(
        tags=["schedules"],
        summary="Give time back to a schedule",
        operation_id="schedule_exceptions_remove",
        description="Administrators only. The time is offered again.",
        responses=_REMOVED,
    )
    def delete(
        self, request: Request, practitioner_id: uuid.UUID, exception_id: uuid.UUID
    ) -> Response:
        return self.remove_entry(request, practitioner_id, exception_id)
