"""Admin for schedules: departments (accounts), appointment types, practitioners with their
working hours and exceptions. Appointments are read-only here: booking goes through the
services (no double booking, audit, events)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WaitlistEntry,
    WorkingHours,
)


class WorkingHoursInline(admin.TabularInline[WorkingHours, Practitioner]):
    model = WorkingHours
    extra = 0


class ExceptionInline(admin.TabularInline[AvailabilityException, Practitioner]):
    model = AvailabilityException
    extra = 0


@admin.register(Practitioner)
class PractitionerAdmin(admin.ModelAdmin[Practitioner]):
    list_display = ("display_name", "department", "time_zone", "is_active")
    list_filter = ("department", "is_active")
    search_fields = ("user__full_name", "user__email")
    filter_horizontal = ("appointment_types",)
    inlines = (WorkingHoursInline, ExceptionInline)
    list_select_related = ("user__staff_profile", "department")
    autocomplete_fields = ("user",)


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin[AppointmentType]):
    list_display = (
        "name",
        "department",
        "duration_minutes",
        "buffer_after_minutes",
        "patient_bookable",
        "is_active",
    )
    list_filter = ("department", "patient_bookable", "is_active")
    search_fields = ("name",)


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    list_display = ("start", "practitioner", "appointment_type", "status", "channel")
    list_filter = ("status", "channel", "practitioner__department")
    date_hierarchy = "start"
    list_select_related = ("practitioner__user__staff_profile", "appointment_type")
    readonly_fields = [field.name for field in Appointment._meta.fields]
    exclude = ("reason",)  # minimum necessary: the reason is for the care team

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin[WaitlistEntry]):
    list_display = (
        "appointment_type",
        "practitioner",
        "date_from",
        "date_to",
        "status",
        "created_at",
    )
    list_filter = ("status",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
