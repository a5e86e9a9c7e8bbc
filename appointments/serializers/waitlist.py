"""The waitlist: joining it, and an entry."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.selectors.users import patients_active
from appointments.models import Appointment, WaitlistEntry
from appointments.selectors.schedules import appointment_types_active, practitioners_for
from appointments.serializers.fields import PublicIdField
from appointments.serializers.slots import PractitionerSummary
from core.api import ReferenceSerializer


class WaitlistInput(serializers.Serializer[None]):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found=_("No such appointment type.")
    )
    practitioner = PublicIdField(
        queryset=practitioners_for(), not_found=_("No such practitioner."), required=False
    )
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    patient = PublicIdField(
        queryset=patients_active(),
        not_found=_("No such patient."),
        required=False,
        help_text="Staff only.",
    )


class OfferedAppointmentSerializer(serializers.ModelSerializer[Appointment]):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Appointment
        fields = ("id", "start", "end", "hold_expires_at")
        read_only_fields = fields


class WaitlistOutput(serializers.ModelSerializer[WaitlistEntry]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    appointment_type = ReferenceSerializer()
    practitioner = PractitionerSummary(allow_null=True, help_text="Null: any practitioner.")
    offered_appointment = OfferedAppointmentSerializer(
        allow_null=True,
        read_only=True,
        help_text="The time held for you (accept it before hold_expires_at), or null.",
    )

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
        read_only_fields = fields
