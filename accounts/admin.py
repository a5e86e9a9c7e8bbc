"""The Django admin of the accounts app. Role changes go through the service; patient
profiles and sessions are read-only here."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from accounts.authentication import signed_in_user
from accounts.forms import UserAdminChangeForm, UserAdminCreationForm
from accounts.models import AuthSession, Department, PatientProfile, StaffProfile, User
from accounts.services.users import user_set_role


@admin.register(User)
class UserAdmin(DjangoUserAdmin[Any]):  # Any: the stubs bind it to AbstractUser, ours is not
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_active", "date_joined")
    list_filter = ("role", "is_active", "is_superuser")
    search_fields = ("email", "full_name")
    readonly_fields = ("public_id", "last_login", "date_joined", "groups")
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        ("Personal info", {"fields": ("full_name",)}),
        ("Role and access", {"fields": ("role", "is_active", "is_superuser", "groups")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        """Role changes go through the service: groups, admin-site access and the audit follow."""
        new_role = obj.role
        if change and "role" in form.changed_data:
            obj.role = form.initial["role"]
            super().save_model(request, obj, form, change)
            user_set_role(
                user=obj, role=new_role, changed_by=signed_in_user(request), request=request
            )
            return
        super().save_model(request, obj, form, change)
        if not change:
            user_set_role(
                user=obj, role=new_role, changed_by=signed_in_user(request), request=request
            )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ("name", "code", "is_active")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin[StaffProfile]):
    list_display = ("user", "title", "department", "specialty")
    list_filter = ("department",)
    search_fields = ("user__email", "user__full_name", "licence_number")
    list_select_related = ("user", "department")
    autocomplete_fields = ("user",)


@admin.register(PatientProfile)
class PatientProfileAdmin(admin.ModelAdmin[PatientProfile]):
    """Read-only for administrators: patients edit their details; reception (later) too."""

    list_display = ("medical_record_number", "legal_name", "date_of_birth")
    search_fields = ("medical_record_number", "legal_name", "user__email")
    list_select_related = ("user",)
    readonly_fields = ("medical_record_number",)

    def has_add_permission(self, request: HttpRequest) -> bool:
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
