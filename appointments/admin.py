"""Admin for schedules: appointment types, practitioners with their working hours and
exceptions. A front door like the API: saves go through the availability services (the
overlap check, the audit row), so the admin writes nothing the services would refuse.
Appointments and the waitlist are read-only here: booking goes through its services."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_forms import (
    MAIN_FORM,
    PatientSearchAudited,
    SavesThroughServices,
    ServiceInlineFormSet,
    ServiceRefusal,
    adopt,
)
from accounts.authentication import signed_in_user
from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WaitlistEntry,
    WorkingHours,
)
from appointments.services import availability
from audit.services import record
from core.errors import DomainError


class _ScheduleInline(admin.StackedInline[Any, Practitioner]):
    """Rows are added or removed, never edited in place (there is no audited "change" of a
    rule): to move hours, remove the row and add the new one in the same save."""

    formset = ServiceInlineFormSet
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WorkingHoursInline(_ScheduleInline):
    model = WorkingHours


class ExceptionInline(_ScheduleInline):
    model = AvailabilityException


@admin.register(Practitioner)
class PractitionerAdmin(SavesThroughServices):
    list_display = ("display_name", "department", "time_zone", "is_active")
    list_filter = ("department", "is_active")
    search_fields = ("user__full_name", "user__email")
    # Checkboxes, not the two-box filter widget: its help icons carry an aria-label axe
    # refuses, and a hospital's types fit in a list.
    formfield_overrides: ClassVar = {
        models.ManyToManyField: {"widget": forms.CheckboxSelectMultiple},
    }
    inlines = (WorkingHoursInline, ExceptionInline)
    list_select_related = ("user__staff_profile", "department")
    autocomplete_fields = ("user",)

    def get_exclude(self, request: HttpRequest, obj: Practitioner | None = None) -> Any:
        return ("is_active",) if obj is None else ()  # a new practitioner is active

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "user" and field is not None:
            # The picker lists clinicians only (the model's limit_choices_to); anyone else is
            # refused in the service's words, not as "not one of the available choices".
            field.error_messages["invalid_choice"] = availability.NOT_A_CLINICIAN
        return field

    def get_readonly_fields(self, request: HttpRequest, obj: Practitioner | None = None) -> Any:
        return ("user",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Practitioner, form: Any, change: bool) -> None:
        actor = signed_in_user(request)
        data = form.cleaned_data
        if not change:
            try:
                created = availability.practitioner_create(
                    user=data["user"],
                    department=data["department"],
                    time_zone=data["time_zone"],
                    actor=actor,
                    appointment_types=list(data.get("appointment_types") or []),
                    request=request,
                )
            except (ValidationError, DomainError) as error:
                raise ServiceRefusal.of(MAIN_FORM, error) from None
            adopt(obj, created)
            return
        stored = Practitioner.objects.get(pk=obj.pk)  # ``obj`` already has the form's values
        try:
            updated = availability.practitioner_update(
                actor=actor,
                practitioner=stored,
                request=request,
                **{f: data[f] for f in availability.PRACTITIONER_FIELDS if f in form.changed_data},
            )
        except (ValidationError, DomainError) as error:
            raise ServiceRefusal.of(MAIN_FORM, error) from None
        adopt(obj, updated)
        if "appointment_types" in form.changed_data:  # saved with the form's relations
            record(
                action="appointments.practitioner_changed",
                actor=actor,
                target=obj,
                request=request,
                details={"fields": ["appointment_types"]},
            )

    def save_formset(
        self,
        request: HttpRequest,
        form: Any,
        formset: BaseInlineFormSet[Any, Any, Any],
        change: bool,
    ) -> None:
        actor = signed_in_user(request)
        practitioner = form.instance
        new_objects: list[Any] = []
        deleted_objects: list[Any] = []
        # Removals first: hours moved by "remove and add" must not overlap their old row.
        for row in formset.deleted_forms:
            if row.instance.pk is None:
                continue
            try:
                if isinstance(row.instance, WorkingHours):
                    availability.working_hours_remove(
                        actor=actor, rule=row.instance, request=request
                    )
                else:
                    availability.exception_remove(
                        actor=actor, exception=row.instance, request=request
                    )
            except (ValidationError, DomainError) as error:
                raise ServiceRefusal.of(row.prefix, error) from None
            deleted_objects.append(row.instance)
        for row in formset.extra_forms:
            if not row.has_changed() or row.cleaned_data.get("DELETE"):
                continue
            values = row.cleaned_data
            try:
                if formset.model is WorkingHours:
                    added: Any = availability.working_hours_add(
                        actor=actor,
                        practitioner=practitioner,
                        weekday=values["weekday"],
                        start_time=values["start_time"],
                        end_time=values["end_time"],
                        valid_from=values["valid_from"],
                        valid_until=values.get("valid_until"),
                        request=request,
                    )
                else:
                    added = availability.exception_add(
                        actor=actor,
                        practitioner=practitioner,
                        start=values["start"],
                        end=values["end"],
                        kind=values["kind"],
                        reason=values.get("reason", ""),
                        request=request,
                    )
            except (ValidationError, DomainError) as error:
                raise ServiceRefusal.of(row.prefix, error) from None
            new_objects.append(added)
        # What Django's change message and log entry read from a saved formset.
        formset.new_objects = new_objects
        formset.changed_objects = []
        formset.deleted_objects = deleted_objects

    def has_delete_permission(self, request: HttpRequest, obj: Practitioner | None = None) -> bool:
        return False  # make them inactive: appointments and audit rows point at them


@admin.register(AppointmentType)
class AppointmentTypeAdmin(SavesThroughServices):
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

    def get_exclude(self, request: HttpRequest, obj: AppointmentType | None = None) -> Any:
        return ("is_active",) if obj is None else ()  # a new type is active

    def save_model(
        self, request: HttpRequest, obj: AppointmentType, form: Any, change: bool
    ) -> None:
        actor = signed_in_user(request)
        data = form.cleaned_data
        if not change:
            try:
                created = availability.appointment_type_create(
                    actor=actor,
                    department=data["department"],
                    name=data["name"],
                    duration_minutes=data["duration_minutes"],
                    buffer_after_minutes=data["buffer_after_minutes"],
                    patient_bookable=data["patient_bookable"],
                    lead_time_minutes=data["lead_time_minutes"],
                    booking_horizon_days=data["booking_horizon_days"],
                    preparation=data.get("preparation", ""),
                    request=request,
                )
            except (ValidationError, DomainError) as error:
                raise ServiceRefusal.of(MAIN_FORM, error) from None
            adopt(obj, created)
            return
        stored = AppointmentType.objects.get(pk=obj.pk)  # ``obj`` already has the form's values
        try:
            updated = availability.appointment_type_update(
                actor=actor,
                appointment_type=stored,
                request=request,
                **{
                    f: data[f]
                    for f in availability.APPOINTMENT_TYPE_FIELDS
                    if f in form.changed_data
                },
            )
        except (ValidationError, DomainError) as error:
            raise ServiceRefusal.of(MAIN_FORM, error) from None
        adopt(obj, updated)

    def has_delete_permission(
        self, request: HttpRequest, obj: AppointmentType | None = None
    ) -> bool:
        return False  # retire it instead (is_active): appointments point at it


def _patient_label(patient: Any) -> str:
    profile = getattr(patient, "patient_profile", None)
    number = f" ({profile.medical_record_number})" if profile is not None else ""
    return f"{patient.get_full_name()}{number}"


@admin.register(Appointment)
class AppointmentAdmin(PatientSearchAudited):
    list_display = (
        "start",
        "patient_shown",
        "practitioner",
        "appointment_type",
        "status",
        "channel",
    )
    list_filter = ("status", "channel", "practitioner__department", "appointment_type")
    # The record number exactly; names and addresses by their start (an index can serve it).
    search_fields = (
        "=patient__patient_profile__medical_record_number",
        "^patient__full_name",
        "^patient__email",
        "^practitioner__user__full_name",
    )
    search_help_text = _(
        "A record number, or the start of a patient's or clinician's name or email."
    )
    date_hierarchy = "start"
    list_select_related = (
        "practitioner__user__staff_profile",
        "appointment_type",
        "patient__patient_profile",
    )

    @admin.display(description=_("Patient"), ordering="patient__full_name")
    def patient_shown(self, appointment: Appointment) -> str:
        return _patient_label(appointment.patient)

    # Never the reason for the visit or the visit note: permissions.can_see_reason allows only
    # the patient and the visit's practitioner, and neither reads them here (minimum necessary).
    readonly_fields = [
        field.name
        for field in Appointment._meta.fields
        if field.name not in ("reason", "visit_note")
    ]
    exclude = ("reason", "visit_note")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Appointment | None = None) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(PatientSearchAudited):
    list_display = (
        "patient_shown",
        "appointment_type",
        "practitioner",
        "date_from",
        "date_to",
        "status",
        "created_at",
    )
    list_filter = ("status", "appointment_type__department", "appointment_type")
    search_fields = (
        "=patient__patient_profile__medical_record_number",
        "^patient__full_name",
        "^patient__email",
    )
    search_help_text = _("A record number, or the start of the patient's name or email.")
    list_select_related = (
        "patient__patient_profile",
        "appointment_type",
        "practitioner__user__staff_profile",
    )

    @admin.display(description=_("Patient"), ordering="patient__full_name")
    def patient_shown(self, entry: WaitlistEntry) -> str:
        return _patient_label(entry.patient)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WaitlistEntry | None = None) -> bool:
        return False  # offers, holds and answers go through the waitlist services

    def has_delete_permission(self, request: HttpRequest, obj: WaitlistEntry | None = None) -> bool:
        return False
