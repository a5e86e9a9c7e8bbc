"""The hospital's directory through the API: departments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors.directory import departments_active
from accounts.serializers.account import DepartmentSerializer


class DepartmentListApi(APIView):
    @extend_schema(
        tags=["directory"],
        summary="Departments of the hospital",
        responses={200: DepartmentSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        return Response(DepartmentSerializer(departments_active(), many=True).data)
