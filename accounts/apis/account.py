"""The signed-in account through the API: who I am, my profile, password, email address,
deactivation, and where I am signed in."""

from __future__ import annotations

from collections.abc import Mapping

from allauth.account.forms import AddEmailForm
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.apis import examples
from accounts.apis.base import form_errors
from accounts.apis.identity import (
    IDENTITY_REFUSED,
    identity_requests_path,
    own_patient_profile,
    patient_profile_data,
)
from accounts.authentication import signed_in_user
from accounts.errors import IdentityChangeNeedsRequest
from accounts.forms import HospitalChangePasswordForm
from accounts.selectors.profiles import staff_profile_of
from accounts.selectors.sessions import current_session, sessions_active_for
from accounts.selectors.users import account_overview_of
from accounts.serializers.account import (
    EmailChangeInput,
    EndedOutput,
    MeOutput,
    PasswordChangeInput,
    PasswordConfirmInput,
    SessionOutput,
    StaffProfileOutput,
)
from accounts.serializers.common import DetailOutput
from accounts.serializers.profiles import PatientProfileOutput, PatientProfileSerializer
from accounts.services import sessions
from accounts.services.profiles import PATIENT_IDENTITY_FIELDS, patient_profile_update
from accounts.services.reauthentication import reauthenticate
from accounts.services.users import user_deactivate
from core.api import PROBLEM, django_request
from core.errors import NotFoundError


class MeApi(APIView):
    @extend_schema(tags=["account"], summary="The signed-in account", responses={200: MeOutput})
    def get(self, request: Request) -> Response:
        return Response(MeOutput(account_overview_of(user=signed_in_user(request))).data)


class PatientProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your patient profile",
        responses={200: PatientProfileOutput, 404: PROBLEM},
    )
    def get(self, request: Request) -> Response:
        profile = own_patient_profile(signed_in_user(request))
        return Response(patient_profile_data(profile))

    @extend_schema(
        tags=["account"],
        summary="Change your contact details",
        description="Legal name, date of birth and sex are refused here (400, "
        "IDENTITY_CHANGE_NEEDS_REQUEST, nothing changed): ask for them with POST "
        "/api/v1/account/profile/identity-requests.",
        request=PatientProfileSerializer,
        responses={200: PatientProfileOutput, 400: IDENTITY_REFUSED, 404: PROBLEM},
        examples=[examples.PROFILE_CHANGE_PHONE],
    )
    def patch(self, request: Request) -> Response:
        user = signed_in_user(request)
        profile = own_patient_profile(user)
        posted = request.data if isinstance(request.data, Mapping) else {}
        identity = sorted(set(posted) & set(PATIENT_IDENTITY_FIELDS))
        if identity:  # read-only in the serializer: refused loudly, not silently ignored
            raise IdentityChangeNeedsRequest(identity, endpoint=identity_requests_path())
        data = PatientProfileSerializer(profile, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        updated = patient_profile_update(
            profile=profile,
            changed_by=user,
            request=django_request(request),
            **data.validated_data,
        )
        return Response(patient_profile_data(updated))


class StaffProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your staff profile",
        responses={200: StaffProfileOutput, 404: PROBLEM},
    )
    def get(self, request: Request) -> Response:
        profile = staff_profile_of(user=signed_in_user(request))
        if profile is None:
            raise NotFoundError("This account has no staff profile.")
        return Response(StaffProfileOutput(profile).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your password (ends every other session)",
        request=PasswordChangeInput,
        responses={200: DetailOutput, 400: PROBLEM, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        form = HospitalChangePasswordForm(
            user=signed_in_user(request),
            data={
                "oldpassword": data.validated_data["current_password"],
                "password1": data.validated_data["new_password"],
                "password2": data.validated_data["new_password"],
            },
        )
        if not form.is_valid():
            raise form_errors(form)
        # The new password, then accounts.services.passwords.password_changed.
        form.save_keeping(
            session=current_session(request=django_request(request), auth=request.auth),
            request=django_request(request),
        )
        return Response({"detail": "Your password was changed. Other sessions were signed out."})


class EmailChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your email address (the new one must be confirmed)",
        request=EmailChangeInput,
        responses={202: DetailOutput, 400: PROBLEM, 403: PROBLEM, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = EmailChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        form = AddEmailForm(user=user, data={"email": data.validated_data["email"]})
        if not form.is_valid():
            raise form_errors(form)
        form.save(django_request(request))
        return Response(
            {
                "detail": "We sent a link to the new address. It replaces the old one once confirmed."
            },
            status=status.HTTP_202_ACCEPTED,
        )


class DeactivateApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Deactivate your account",
        request=PasswordConfirmInput,
        responses={204: None, 403: PROBLEM, 429: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        data = PasswordConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = signed_in_user(request)
        reauthenticate(
            user=user, password=data.validated_data["password"], request=django_request(request)
        )
        user_deactivate(user=user, deactivated_by=user, request=django_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionListApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Where you are signed in",
        responses={200: SessionOutput(many=True)},
    )
    def get(self, request: Request) -> Response:
        current = current_session(request=django_request(request), auth=request.auth)
        rows = sessions_active_for(user=signed_in_user(request))
        return Response(
            SessionOutput(
                rows, many=True, context={"current_pk": current.pk if current else None}
            ).data
        )


class SessionRevokeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Sign out one of your sessions",
        request=None,
        responses={204: None, 404: PROBLEM},
    )
    def delete(self, request: Request, session_id: str) -> Response:
        sessions.session_revoke(
            user=signed_in_user(request),
            session_public_id=session_id,
            request=django_request(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionsEndOthersApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Sign out everywhere else",
        request=None,
        responses={200: EndedOutput},
    )
    def post(self, request: Request) -> Response:
        ended = sessions.sessions_end_others(
            user=signed_in_user(request),
            keep=current_session(request=django_request(request), auth=request.auth),
            reason=sessions.EndReason.REVOKED,
            request=django_request(request),
        )
        return Response({"ended": ended})
