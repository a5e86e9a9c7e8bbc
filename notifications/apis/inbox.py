"""The person's in-app messages and notification choices (their own only)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from accounts.selectors.profiles import messaging_facts_of
from core.api import (
    CURSOR,
    NoParameters,
    cursor_page,
    django_request,
    page_of,
    problems,
    query_parameters,
)
from core.errors import VALIDATION_ERROR
from notifications.apis import examples
from notifications.errors import NotificationNotFound
from notifications.models import Notification
from notifications.selectors import (
    inbox_shown,
    notifications_of,
    preference_choices_of,
    quiet_hours_of,
    unread_count_of,
)
from notifications.serializers import (
    NotificationOutput,
    PreferencesInput,
    PreferencesOutput,
    ReadAllOutput,
    UnreadCountOutput,
)
from notifications.services import inbox

_TAGS = ["notifications"]


class NotificationListApi(APIView):
    @extend_schema(
        tags=_TAGS,
        summary="Your notifications",
        operation_id="notifications_list",
        description="Newest first, a cursor page of 50. Times in UTC. The same messages as "
        "the bell on the website; new ones also arrive live on /ws/notifications/.",
        parameters=[CURSOR],
        responses={200: page_of(NotificationOutput)},
        examples=examples.NOTIFICATIONS,
    )
    def get(self, request: Request) -> Response:
        query_parameters(request)

        def render(page: Sequence[Notification]) -> Any:
            inbox_shown(page, request=request)
            return NotificationOutput(page, many=True).data

        return cursor_page(
            request,
            notifications_of(user=signed_in_user(request)),
            ordering=("-created_at", "-id"),
            render=render,
        )


class UnreadCountApi(APIView):
    @extend_schema(
        tags=_TAGS,
        summary="How many notifications are unread",
        operation_id="notifications_unread_count",
        description="The number on the bell. Also pushed on /ws/notifications/ whenever it "
        "changes.",
        responses={200: UnreadCountOutput},
    )
    def get(self, request: Request) -> Response:
        query_parameters(request, parameters=NoParameters)
        return Response({"unread_count": unread_count_of(user=signed_in_user(request))})


class ReadApi(APIView):
    @extend_schema(
        tags=_TAGS,
        summary="Mark a notification read",
        operation_id="notification_read",
        description="Idempotent: a notification read already stays read.",
        request=None,
        responses={200: UnreadCountOutput, **problems(NotificationNotFound)},
    )
    def post(self, request: Request, notification_id: uuid.UUID) -> Response:
        user = signed_in_user(request)
        inbox.notification_mark_read(user=user, notification_id=notification_id)
        return Response({"unread_count": unread_count_of(user=user)})


class ReadAllApi(APIView):
    @extend_schema(
        tags=_TAGS,
        summary="Mark every notification read",
        operation_id="notifications_read_all",
        description="Marks every unread notification of yours read; returns how many were unread.",
        request=None,
        responses={200: ReadAllOutput},
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        marked = inbox.notifications_mark_all_read(user=user)
        return Response({"marked_read": marked, "unread_count": unread_count_of(user=user)})


class PreferencesApi(APIView):
    @extend_schema(
        tags=_TAGS,
        summary="Your notification choices",
        operation_id="notification_preferences",
        description="Per category and channel; security messages cannot be switched off; "
        "SMS is available once a mobile number is verified. Quiet hours are in your time zone.",
        responses={200: PreferencesOutput},
        examples=examples.PREFERENCES,
    )
    def get(self, request: Request) -> Response:
        query_parameters(request, parameters=NoParameters)
        return Response(_preferences(signed_in_user(request)))

    @extend_schema(
        tags=_TAGS,
        summary="Change your notification choices",
        operation_id="notification_preferences_update",
        description="Only the choices named change. VALIDATION_ERROR names a choice that does "
        "not exist, a security message switched off, SMS without a verified number, or half "
        "of the quiet hours; nothing changes then.",
        request=PreferencesInput,
        responses={200: PreferencesOutput, **problems(VALIDATION_ERROR)},
        examples=examples.PREFERENCES_CHANGE + examples.PREFERENCES,
    )
    def patch(self, request: Request) -> Response:
        data = PreferencesInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        current = quiet_hours_of(user=user)
        if "quiet_hours" in data.validated_data:
            quiet = data.validated_data["quiet_hours"]
            start, end = (_clock(quiet["start"]), _clock(quiet["end"])) if quiet else (None, None)
        else:
            start, end = (
                (current.quiet_hours_start, current.quiet_hours_end) if current else (None, None)
            )
        # A refusal is Django's ValidationError: the project's handler answers 400 with the
        # field errors.
        inbox.preferences_update(
            user=user,
            enabled=data.validated_data["choices"],
            quiet_hours_start=start,
            quiet_hours_end=end,
            request=django_request(request),
        )
        return Response(_preferences(user))


def _preferences(user: Any) -> dict[str, Any]:
    quiet = quiet_hours_of(user=user)
    return PreferencesOutput(
        {
            "choices": preference_choices_of(user=user),
            "quiet_hours": (
                {
                    "start": quiet.quiet_hours_start.strftime("%H:%M"),
                    "end": quiet.quiet_hours_end.strftime("%H:%M"),
                }
                if quiet is not None
                and quiet.quiet_hours_start is not None
                and quiet.quiet_hours_end is not None
                else None
            ),
            "time_zone": messaging_facts_of(user=user).zone.key,
        }
    ).data


def _clock(value: str) -> datetime.time:
    hours, minutes = value.split(":")
    return datetime.time(int(hours), int(minutes))
