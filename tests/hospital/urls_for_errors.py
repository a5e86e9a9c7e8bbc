"""A URLconf for error tests: the real routes plus views that fail on purpose."""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ConflictError
from hospital.urls import urlpatterns as real_urlpatterns


class ExplodingError(Exception):
    pass


@login_not_required
def page_that_fails(request: HttpRequest) -> HttpResponse:
    raise ExplodingError("secret internals: patient MRN 12345")


@login_not_required
def page_that_is_suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("tampered")


@login_not_required
def page_that_is_forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


class WardInput(serializers.Serializer):
    name = serializers.CharField(max_length=10)
    beds = serializers.IntegerField(min_value=1)


class ValidatingApi(APIView):
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        serializer = WardInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(serializer.validated_data)


class ConflictApi(APIView):
    permission_classes = (AllowAny,)

    def post(self, request: Request) -> Response:
        raise ConflictError("That slot was just taken.", code="SLOT_TAKEN")


class FailingApi(APIView):
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        raise ExplodingError("secret internals")


class ClosedApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"secret": True})


urlpatterns = [
    path("test/fail/", page_that_fails),
    path("test/suspicious/", page_that_is_suspicious),
    path("test/forbidden/", page_that_is_forbidden),
    path("api/test/validate/", ValidatingApi.as_view()),
    path("api/test/conflict/", ConflictApi.as_view()),
    path("api/test/fail/", FailingApi.as_view()),
    path("api/test/closed/", ClosedApi.as_view()),
    *real_urlpatterns,
]

handler400 = "hospital.views.bad_request"
handler403 = "hospital.views.permission_denied"
handler404 = "hospital.views.page_not_found"
handler500 = "hospital.views.server_error"
