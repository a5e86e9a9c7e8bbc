"""The signed-in account through the API: who I am, my profile, password, email address,
deactivation, and where I am signed in."""

from __future__ import annotations

from collections.abc import Mapping

from allauth.account.forms import AddEmailForm
from django.db import transaction
from django.utils.translation import gettext as _
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
from accounts.errors import IdentityChangeNeedsRequest, ReauthenticationRequired, SessionNotFound
from accounts.forms import HospitalChangePasswordForm
from accounts.selectors.profiles import patient_profile_for_update, staff_profile_of
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
    me_representation,
)
from accounts.serializers.common import DetailOutput
from accounts.serializers.profiles import PatientProfileOutput, PatientProfileSerializer
from accounts.services import sessions
from accounts.services.profiles import PATIENT_IDENTITY_FIELDS, patient_profile_update
from accounts.services.reauthentication import reauthenticate
from accounts.services.users import user_deactivate
from core.api import (
    CURSOR,
    cursor_page,
    django_request,
    page_of,
    problems,
    query_parameters,
)
from core.conditional import (
    CONDITIONAL_READ,
    CONDITIONAL_UPDATE,
    NOT_MODIFIED,
    PreconditionFailed,
    conditional_read,
    require_if_match,
    with_etag,
)
from core.errors import VALIDATION_ERROR, NotFoundError
from core.ratelimit import RateLimited


class MeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="The signed-in account",
        operation_id="account_me",
        description="Who you are: name, role, whether a second factor and the email address "
        "are set up.",
        parameters=CONDITIONAL_READ,
        responses={200: MeOutput, 304: NOT_MODIFIED},
    )
    def get(self, request: Request) -> Response:
        return conditional_read(
            request, me_representation(account_overview_of(user=signed_in_user(request)))
        )


class PatientProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your patient profile",
        operation_id="account_profile_get",
        description="Identity and contact details, with the identity changes waiting for the "
        "reception's decision. Accounts without a patient profile (staff) get 404.",
        parameters=CONDITIONAL_READ,
        responses={200: PatientProfileOutput, 304: NOT_MODIFIED, **problems(NotFoundError)},
    )
    def get(self, request: Request) -> Response:
        profile = own_patient_profile(signed_in_user(request))
        return conditional_read(request, patient_profile_data(profile))

    @extend_schema(
        tags=["account"],
        summary="Change your contact details",
        operation_id="account_profile_update",
        description="Legal name, date of birth and sex are refused here (400, "
        "IDENTITY_CHANGE_NEEDS_REQUEST, nothing changed): ask for them with POST "
        "/api/v1/account/profile/identity-requests.",
        request=PatientProfileSerializer,
        responses={
            200: PatientProfileOutput,
            **problems(VALIDATION_ERROR, NotFoundError, PreconditionFailed),
            400: IDENTITY_REFUSED,
        },
        parameters=CONDITIONAL_UPDATE,
        examples=[examples.PROFILE_CHANGE_PHONE],
    )
    @transaction.atomic  # If-Match is compared with the row locked: no change slips in between
    def patch(self, request: Request) -> Response:
        user = signed_in_user(request)
        profile = patient_profile_for_update(profile=own_patient_profile(user))
        require_if_match(request, patient_profile_data(profile))
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
        return with_etag(Response(patient_profile_data(updated)))


class StaffProfileApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Your staff profile",
        operation_id="account_staff_profile",
        description="Title, specialty, licence and department; 404 for accounts without one.",
        responses={200: StaffProfileOutput, **problems(NotFoundError)},
    )
    def get(self, request: Request) -> Response:
        profile = staff_profile_of(user=signed_in_user(request))
        if profile is None:
            raise NotFoundError(_("This account has no staff profile."))
        return Response(StaffProfileOutput(profile).data)


class PasswordChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your password (ends every other session)",
        operation_id="account_password_change",
        description="With the current password; the new one must pass the password rules "
        "(errors under `new_password`). This session stays signed in.",
        request=PasswordChangeInput,
        responses={200: DetailOutput, **problems(VALIDATION_ERROR, RateLimited)},
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
        return Response({"detail": _("Your password was changed. Other sessions were signed out.")})


class EmailChangeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Change your email address (the new one must be confirmed)",
        operation_id="account_email_change",
        description="With your current password. The new address replaces the old one once "
        "the link sent to it is opened.",
        request=EmailChangeInput,
        responses={
            202: DetailOutput,
            **problems(VALIDATION_ERROR, ReauthenticationRequired, RateLimited),
        },
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
                "detail": _(
                    "We sent a link to the new address. It replaces the old one once confirmed."
                )
            },
            status=status.HTTP_202_ACCEPTED,
        )


class DeactivateApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Deactivate your account",
        operation_id="account_deactivate",
        description="With your current password: every session ends and sign-in stops "
        "working. Your records are kept.",
        request=PasswordConfirmInput,
        responses={
            204: None,
            **problems(VALIDATION_ERROR, ReauthenticationRequired, RateLimited),
        },
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
        operation_id="account_sessions_list",
        description="Your active sessions (apps and browsers), most recently started first, "
        "a cursor page of 50; `current` marks this one.",
        parameters=[CURSOR],
        responses={200: page_of(SessionOutput)},
    )
    def get(self, request: Request) -> Response:
        query_parameters(request)
        current = current_session(request=django_request(request), auth=request.auth)
        rows = sessions_active_for(user=signed_in_user(request))
        context = {"current_pk": current.pk if current else None}
        return cursor_page(
            request,
            rows,
            ordering=("-created_at", "-pk"),
            render=lambda page: SessionOutput(page, many=True, context=context).data,
        )


class SessionRevokeApi(APIView):
    @extend_schema(
        tags=["account"],
        summary="Sign out one of your sessions",
        operation_id="account_session_revoke",
        description="Its tokens stop working at once.",
        request=None,
        responses={204: None, **problems(SessionNotFound)},
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
        operation_id="account_sessions_end_others",
        description="Ends every session but this one; answers how many ended.",
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
