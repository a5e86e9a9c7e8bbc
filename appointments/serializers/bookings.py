"""API shapes of the appointments app."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from appointments.models import (
    Appointment,
    AppointmentType,
    AvailabilityException,
    Practitioner,
    WaitlistEntry,
    WorkingHours,
)
from appointments.selectors.slots import Slot


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an explicit offset: a booking time without a time zone is ambiguous."""

    def to_internal_value(self, value: Any) -> Any:
        if (
            isinstance(value, str)
            and value
            and not (value.endswith("Z") or "+" in value[10:] or "-" in value[10:])
        ):
            raise serializers.ValidationError(
                "Include the time zone, e.g. 2026-03-02T09:00:00+00:00 or ...Z."
            )
        parsed = super().to_internal_value(value)
        if timezone.is_naive(parsed):
            raise serializers.ValidationError("Include the time zone.")
        return parsed


class PractitionerSummary(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="display_name")
    department = serializers.CharField(source="department.name")

    class Meta:
        model = Practitioner
        fields = ("id", "name", "department", "time_zone")


class AppointmentTypeOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    department = serializers.UUIDField(source="department.public_id")

    class Meta:
        model = AppointmentType
        fields = (
            "id",
            "name",
            "department",
            "duration_minutes",
            "buffer_after_minutes",
            "patient_bookable",
            "lead_time_minutes",
            "booking_horizon_days",
        )


class SlotQuery(serializers.Serializer):
    appointment_type = serializers.UUIDField()
    department = serializers.UUIDField(required=False)
    practitioner = serializers.UUIDField(required=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        if (attrs["date_to"] - attrs["date_from"]).days > 30:
            raise serializers.ValidationError({"date_to": "Search at most 31 days at a time."})
        return attrs


class SlotOutput(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    local_start = serializers.SerializerMethodField(
        help_text="Wall-clock start in the practitioner's time zone."
    )
    practitioner = PractitionerSummary()

    def get_local_start(self, slot: Slot) -> str:
        return slot.start.astimezone(slot.practitioner.zone).isoformat()


class AppointmentOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    patient = serializers.SerializerMethodField()
    practitioner = PractitionerSummary()
    appointment_type = serializers.CharField(source="appointment_type.name")
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = Appointment
        fields = (
            "id",
            "patient",
            "practitioner",
            "appointment_type",
            "start",
            "end",
            "status",
            "status_display",
            "reason",
            "cancellation_reason",
            "channel",
            "hold_expires_at",
            "created_at",
            "updated_at",
        )

    def to_representation(self, instance: Appointment) -> dict[str, Any]:
        data = super().to_representation(instance)
        viewer = self.context.get("viewer")
        # Minimum necessary: the reason for the visit is for the patient and the care team.
        if (
            viewer is not None
            and viewer.role in ("receptionist", "admin")
            and viewer.pk != instance.patient_id
        ):
            data["reason"] = ""
        return data

    def get_patient(self, appointment: Appointment) -> dict[str, str]:
        return {
            "id": str(appointment.patient.public_id),
            "name": appointment.patient.get_full_name(),
        }


class BookInput(serializers.Serializer):
    appointment_type = serializers.UUIDField()
    practitioner = serializers.UUIDField()
    start = AwareDateTimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    patient = serializers.UUIDField(
        required=False, help_text="Staff only: the patient to book for."
    )


class RescheduleInput(serializers.Serializer):
    start = AwareDateTimeField()
    practitioner = serializers.UUIDField(
        required=False, help_text="Another practitioner offering the same type."
    )


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for staff.",
    )


class WaitlistInput(serializers.Serializer):
    appointment_type = serializers.UUIDField()
    practitioner = serializers.UUIDField(required=False)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    patient = serializers.UUIDField(required=False, help_text="Staff only.")


class WaitlistOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id")
    appointment_type = serializers.CharField(source="appointment_type.name")
    practitioner = serializers.SerializerMethodField()
    offered_appointment = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = (
            "id",
            "appointment_type",
            "practitioner",
            "date_from",
            "date_to",
            "status",
            "offered_appointment",
            "created_at",
        )

    def get_practitioner(self, entry: WaitlistEntry) -> str | None:
        return str(entry.practitioner.public_id) if entry.practitioner else None

    def get_offered_appointment(self, entry: WaitlistEntry) -> str | None:
        return str(entry.offered_appointment.public_id) if entry.offered_appointment else None


class WorkingHoursSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkingHours
        fields = ("id", "weekday", "start_time", "end_time", "valid_from", "valid_until")


class ExceptionSerializer(serializers.ModelSerializer):
    start = AwareDateTimeField()
    end = AwareDateTimeField()

    class Meta:
        model = AvailabilityException
        fields = ("id", "kind", "start", "end", "reason")


class FeedOutput(serializers.Serializer):
    url = serializers.URLField()
