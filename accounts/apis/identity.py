"""A patient's identity (legal name, date of birth, sex) through the API: asking for a change
and following the requests. Staff decide on the reception page or in the admin."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework.views import APIView

from accounts.authentication import signed_in_user
from accounts.models import PatientProfile, User
from accounts.selectors.profiles import (
    identity_change_requests_of,
    identity_changes_pending_of,
    patient_profile_of,
)
from accounts.serializers.profiles import (
    IdentityChangeRequestInput,
    IdentityChangeRequestOutput,
    PatientProfileOutput,
)
from accounts.services.identity import identity_change_request
from core.api import PROBLEM_CODES_INTRO, ProblemSerializer, django_request, problems
from core.errors import (
    VALIDATION_ERROR,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    NotFoundError,
)
from core.idempotency import idempotent

IDENTITY_REQUEST_EXAMPLE = OpenApiExample(
    "Change of name",
    value={"legal_name": "Mary Seacole-Grant"},
    request_only=True,
)
IDENTITY_REFUSED_EXAMPLE = OpenApiExample(
    "Identity fields in a profile change",
    value={
        "type": "urn:hospital:error:identity_change_needs_request",
        "code": "IDENTITY_CHANGE_NEEDS_REQUEST",
        "title": "Bad Request",
        "status": 400,
        "detail": "Your legal name, date of birth and sex change only through an identity "
        "change request, which the reception checks. Nothing was changed.",
        "errors": {
            "legal_name": [
                "Ask for this change with POST /api/v1/account/profile/identity-requests."
            ]
        },
        "identity_change_requests": "/api/v1/account/profile/identity-requests",
        "request_id": "4f1c0d7e9a2b4c6d8e0f1a2b3c4d5e6f",
    },
    response_only=True,
    status_codes=["400"],
)
IDENTITY_REFUSED = OpenApiResponse(
    response=ProblemSerializer,
    description=f"{PROBLEM_CODES_INTRO}`IDENTITY_CHANGE_NEEDS_REQUEST`, `{VALIDATION_ERROR}`. "
    "Identity fields in a profile change: IDENTITY_CHANGE_NEEDS_REQUEST, nothing changed, "
    "and `identity_change_requests` names where to ask; other bad fields: VALIDATION_ERROR.",
    examples=[IDENTITY_REFUSED_EXAMPLE],
)


def identity_requests_path() -> str:
    return reverse("account-identity-requests")


def own_patient_profile(user: User) -> PatientProfile:
    profile = patient_profile_of(user=user)
    if profile is None:
        raise NotFoundError(_("This account has no patient profile."))
    return profile


def patient_profile_data(profile: PatientProfile) -> ReturnDict[str, Any]:
    """The profile as the API shows it: with the identity changes waiting for a decision."""
    pending = list(identity_changes_pending_of(user=profile.user))
    return PatientProfileOutput(profile, context={"pending_identity_changes": pending}).data


class IdentityChangeRequestListApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your identity change requests",
        operation_id="identity_requests_list",
        description="Every change of legal name, date of birth or sex you asked for, newest "
        "first, with the reception's decision and note.",
        responses={200: IdentityChangeRequestOutput(many=True), **problems(NotFoundError)},
    )
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        own_patient_profile(user)
        requests = identity_change_requests_of(user=user)
        return Response(IdentityChangeRequestOutput(requests, many=True).data)

    @extend_schema(
        tags=["account"],
        summary="Ask to change your legal name, date of birth or sex",
        operation_id="identity_request_create",
        description="Nothing changes until the reception approves; the profile lists the "
        "pending changes. One request per field; a newer one replaces a pending one. A date "
        "of birth may not be before 1900 nor in the future.",
        request=IdentityChangeRequestInput,
        responses={
            201: IdentityChangeRequestOutput(many=True),
            **problems(
                VALIDATION_ERROR, NotFoundError, IdempotencyKeyReused, IdempotencyInProgress
            ),
        },
        examples=[IDENTITY_REQUEST_EXAMPLE],
    )
    @idempotent("accounts.identity_request_create")
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        own_patient_profile(user)
        data = IdentityChangeRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = identity_change_request(
            patient=user, request=django_request(request), **data.validated_data
        )
        return Response(
            IdentityChangeRequestOutput(created, many=True).data, status=status.HTTP_201_CREATED
        )
