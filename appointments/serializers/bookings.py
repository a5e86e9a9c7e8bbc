"""Appointments: the list's filter, booking, moving, cancelling, and the appointment itself."""

from __future__ import annotations

import uuid
from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.selectors.users import patients_active
from appointments import permissions
from appointments.models import Appointment
from appointments.selectors.schedules import appointment_types_active, practitioners_for
from appointments.serializers.fields import AwareDateTimeField, PublicIdField
from appointments.serializers.slots import PractitionerSummary
from core.api import QueryParameters, ReferenceSerializer

ME = "me"
PRACTITIONER_OR_ME = (
    r"^(me|[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})$"
)


class AppointmentFilter(QueryParameters):
    when = serializers.ChoiceField(
        choices=["upcoming", "past"],
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": "Use 'upcoming' or 'past'."},
    )
    status = serializers.ChoiceField(
        choices=Appointment.Status.values,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": f"One of {', '.join(Appointment.Status.values)}."},
    )
    date_from = serializers.DateField(
        required=False,
        help_text="Appointments starting on or after this day (in the practitioner's time zone "
        "when `practitioner` is given, else the hospital's).",
    )
    date_to = serializers.DateField(
        required=False, help_text="Appointments starting on or before this day (inclusive)."
    )
    practitioner = serializers.RegexField(
        PRACTITIONER_OR_ME,
        required=False,
        max_length=36,
        help_text="A practitioner's id, or `me` for your own schedule (practitioners only).",
        error_messages={"invalid": "A practitioner's id, or 'me'."},
    )
    patient = serializers.UUIDField(required=False, help_text="A patient's id.")
    updated_since = AwareDateTimeField(
        required=False,
        help_text="Only appointments changed at or after this time (for synchronising a copy).",
    )

    def validate_practitioner(self, value: str) -> str:
        if value == ME:
            return value
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise serializers.ValidationError("A practitioner's id, or 'me'.") from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (
            attrs.get("date_from")
            and attrs.get("date_to")
            and attrs["date_to"] < attrs["date_from"]
        ):
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        return attrs


class AppointmentOutput(serializers.ModelSerializer[Appointment]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    patient = ReferenceSerializer(name_source="get_full_name")
    practitioner = PractitionerSummary()
    appointment_type = ReferenceSerializer()
    status_display = serializers.CharField(source="get_status_display", read_only=True)

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
        read_only_fields = fields
        extra_kwargs = {
            "reason": {
                "help_text": "The reason for the visit: only for the patient and the visit's "
                "practitioner; empty for everyone else."
            }
        }

    def to_representation(self, instance: Appointment) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        viewer = self.context.get("viewer")
        # Deny by default: without a viewer to ask about, nobody is shown the reason.
        if not (
            isinstance(viewer, User)
            and permissions.can_see_reason(user=viewer, appointment=instance)
        ):
            data["reason"] = ""
        return data


class BookInput(serializers.Serializer[None]):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found="No such appointment type."
    )
    practitioner = PublicIdField(queryset=practitioners_for(), not_found="No such practitioner.")
    start = AwareDateTimeField()
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    patient = PublicIdField(
        queryset=patients_active(),
        not_found="No such patient.",
        required=False,
        help_text="Staff only: the patient to book for.",
    )


class RescheduleInput(serializers.Serializer[None]):
    start = AwareDateTimeField()
    practitioner = PublicIdField(
        queryset=practitioners_for(),
        not_found="No such practitioner.",
        required=False,
        help_text="Another practitioner offering the same type.",
    )


class CancelInput(serializers.Serializer[None]):
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required for staff.",
    )
