"""The directory in the admin: departments and staff profiles through their services; patient
profiles and sessions read-only (identity changes are requests, sessions end audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from accounts.admin_forms import (
    MAIN_FORM,
    PatientSearchAudited,
    SavesThroughServices,
    ServiceRefusal,
    adopt,
)
from accounts.authentication import signed_in_user
from accounts.models import AuthSession, Department, PatientProfile, StaffProfile
from accounts.services.directory import DEPARTMENT_FIELDS, department_create, department_update
from accounts.services.profiles import (
    STAFF_PROFILE_FIELDS,
    staff_profile_create,
    staff_profile_update,
)
from core.errors import DomainError


@admin.register(Department)
class DepartmentAdmin(SavesThroughServices):
    list_display = ("name", "code", "location", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}

    def get_exclude(self, request: HttpRequest, obj: Department | None = None) -> Any:
        return ("is_active",) if obj is None else ()  # a new department is open

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        actor = signed_in_user(request)
        data = form.cleaned_data
        try:
            if not change:
                created = department_create(
                    code=data["code"],
                    name=data["name"],
                    description=data.get("description", ""),
                    location=data.get("location", ""),
                    directions=data.get("directions", ""),
                    created_by=actor,
                    request=request,
                )
                adopt(obj, created)
                return
            stored = Department.objects.get(pk=obj.pk)
            changes = {f: data[f] for f in DEPARTMENT_FIELDS if f in form.changed_data}
            adopt(
                obj,
                department_update(department=stored, changed_by=actor, request=request, **changes),
            )
        except (ValidationError, DomainError) as error:
            raise ServiceRefusal.of(MAIN_FORM, error) from None

    def has_delete_permission(self, request: HttpRequest, obj: Department | None = None) -> bool:
        return False  # close it instead (is_active): staff and appointments point at it


@admin.register(StaffProfile)
class StaffProfileAdmin(SavesThroughServices):
    list_display = ("user", "title", "department", "specialty")
    list_filter = ("department",)
    search_fields = ("user__email", "user__full_name", "licence_number")
    list_select_related = ("user", "department")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: StaffProfile | None = None) -> Any:
        return ("user",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: StaffProfile, form: Any, change: bool) -> None:
        actor = signed_in_user(request)
        data = form.cleaned_data
        try:
            if not change:
                created = staff_profile_create(
                    user=data["user"],
                    created_by=actor,
                    request=request,
                    **{f: data[f] for f in STAFF_PROFILE_FIELDS if f in data},
                )
                adopt(obj, created)
                return
            stored = StaffProfile.objects.select_related("user").get(pk=obj.pk)
            changes = {f: data[f] for f in STAFF_PROFILE_FIELDS if f in form.changed_data}
            adopt(
                obj,
                staff_profile_update(profile=stored, changed_by=actor, request=request, **changes),
            )
        except (ValidationError, DomainError) as error:
            raise ServiceRefusal.of(MAIN_FORM, error) from None

    def has_delete_permission(self, request: HttpRequest, obj: StaffProfile | None = None) -> bool:
        return False


@admin.register(PatientProfile)
class PatientProfileAdmin(PatientSearchAudited):
    """Read-only: patients keep their contact details; their identity changes only through an
    approved identity change request. A search here is an audited lookup."""

    list_display = ("medical_record_number", "legal_name", "date_of_birth", "sex", "created_at")
    list_filter = ("sex", "preferred_language")
    search_fields = ("medical_record_number", "legal_name", "user__email")
    list_select_related = ("user",)

    def patient_of(self, obj: PatientProfile) -> int | None:
        return obj.user_id

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        return False

    def has_delete_permission(
        self, request: HttpRequest, obj: PatientProfile | None = None
    ) -> bool:
        return False


@admin.register(AuthSession)
class AuthSessionAdmin(admin.ModelAdmin[AuthSession]):
    list_display = (
        "user",
        "kind",
        "ip_address",
        "created_at",
        "last_seen_at",
        "ended_at",
        "end_reason",
    )
    list_filter = ("kind", "end_reason")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    exclude = ("session_key",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuthSession | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuthSession | None = None) -> bool:
        return False  # sessions end (audited) through the services, never vanish
