"""The private calendar feed URL: create (or replace) and revoke."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from appointments.serializers.calendar import FeedOutput
from appointments.services import calendar
from core.api import django_request


class CalendarFeedApi(APIView):
    @extend_schema(
        tags=["appointments"],
        summary="Create (or replace) your private calendar feed URL",
        description="Subscribe to it in a calendar app. Creating a new one stops the old URL working.",
        request=None,
        responses={201: FeedOutput},
    )
    def post(self, request: Request) -> Response:
        token = calendar.calendar_feed_create(
            user=signed_in_user(request), request=django_request(request)
        )
        url = request.build_absolute_uri(reverse("appointments:calendar_feed", args=[token]))
        return Response(FeedOutput({"url": url}).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=["appointments"], summary="Revoke your calendar feed URL", responses={204: None}
    )
    def delete(self, request: Request) -> Response:
        calendar.calendar_feed_revoke(user=signed_in_user(request), request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
