"""The hospital's directory through the API: departments."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors.directory import departments_active
from accounts.serializers.account import DepartmentSerializer
from core.api import NoParameters, problems, query_parameters
from core.errors import VALIDATION_ERROR


class DepartmentListApi(APIView):
    @extend_schema(
        tags=["directory"],
        summary="Departments of the hospital",
        operation_id="departments_list",
        description="The active departments, by name: a short list, not paginated. Pass a "
        "department's `id` to /appointment-types, /practitioners and /slots.",
        responses={200: DepartmentSerializer(many=True), **problems(VALIDATION_ERROR)},
    )
    def get(self, request: Request) -> Response:
        query_parameters(request, NoParameters)
        return Response(DepartmentSerializer(departments_active(), many=True).data)
