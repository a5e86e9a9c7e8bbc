"""The private calendar feed URL: create (or replace), its title mode, and revoke."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments.errors import CalendarFeedNotFound
from appointments.selectors.calendar import calendar_feed_of
from appointments.serializers.calendar import (
    FeedInput,
    FeedOutput,
    FeedSettingsOutput,
    FeedTitleModeInput,
)
from appointments.services import calendar
from core.api import django_request, problems
from core.errors import VALIDATION_ERROR
from core.idempotency import idempotent
from core.links import public_url


class CalendarFeedApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Your calendar feed's settings",
        operation_id="calendar_feed_get",
        description="The URL itself is shown only when it is made.",
        responses={200: FeedSettingsOutput, **problems(CalendarFeedNotFound)},
    )
    def get(self, request: Request) -> Response:
        feed = calendar_feed_of(user=signed_in_user(request))
        if feed is None:
            raise CalendarFeedNotFound()
        return Response(FeedSettingsOutput(feed).data)

    @extend_schema(
        tags=["appointments"],
        summary="Create (or replace) your private calendar feed URL",
        operation_id="calendar_feed_create",
        description="Subscribe to it in a calendar app. Creating a new one stops the old URL "
        "working (it answers 410 Gone).",
        request=FeedInput,
        responses={201: FeedOutput, **problems(VALIDATION_ERROR)},
    )
    # The URL is a secret shown once: a replay shows it again, and the stored answer keeps it
    # encrypted.
    @idempotent(scope="calendar_feed.create", sealed=("url",))
    def post(self, request: Request) -> Response:
        data = FeedInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        token = calendar.calendar_feed_create(
            user=user,
            title_mode=data.validated_data.get("title_mode"),
            request=django_request(request),
        )
        url = public_url(reverse("appointments:calendar_feed", args=[token]))
        feed = calendar_feed_of(user=user)
        title_mode = feed.title_mode if feed else data.validated_data.get("title_mode")
        return Response(
            FeedOutput({"url": url, "title_mode": title_mode}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        tags=["appointments"],
        summary="Choose how your calendar feed titles appointments",
        operation_id="calendar_feed_update",
        description="The URL stays the same; calendar apps show the change at their next update.",
        request=FeedTitleModeInput,
        responses={
            200: FeedSettingsOutput,
            **problems(VALIDATION_ERROR, CalendarFeedNotFound),
        },
    )
    def patch(self, request: Request) -> Response:
        # A PATCH changes what it names: an empty one changes nothing and reads the feed back.
        data = FeedTitleModeInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        if "title_mode" not in data.validated_data:
            current = calendar_feed_of(user=user)
            if current is None:
                raise CalendarFeedNotFound()
            return Response(FeedSettingsOutput(current).data)
        feed = calendar.calendar_feed_set_title_mode(
            user=user,
            title_mode=data.validated_data["title_mode"],
            request=django_request(request),
        )
        return Response(FeedSettingsOutput(feed).data)

    @extend_schema(
        tags=["appointments"],
        summary="Revoke your calendar feed URL",
        operation_id="calendar_feed_revoke",
        description="The URL answers 410 Gone from then on.",
        responses={204: None},
    )
    def delete(self, request: Request) -> Response:
        calendar.calendar_feed_revoke(user=signed_in_user(request), request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
