"""Appointments: the list's filter, booking, moving, cancelling, and the appointment itself."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.selectors.users import patients_active
from appointments import permissions
from appointments.models import Appointment
from appointments.selectors.schedules import appointment_types_active, practitioners_for
from appointments.serializers.fields import AwareDateTimeField, PublicIdField
from appointments.serializers.slots import PractitionerSummary


class AppointmentFilter(serializers.Serializer[None]):
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


class AppointmentOutput(serializers.ModelSerializer[Appointment]):
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

    def get_patient(self, appointment: Appointment) -> dict[str, str]:
        return {
            "id": str(appointment.patient.public_id),
            "name": appointment.patient.get_full_name(),
        }


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
