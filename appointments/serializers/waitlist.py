"""The waitlist: joining it, and an entry."""

from __future__ import annotations

from rest_framework import serializers

from accounts.selectors.users import patients_active
from appointments.models import WaitlistEntry
from appointments.selectors.schedules import appointment_types_active, practitioners_for
from appointments.serializers.fields import PublicIdField


class WaitlistInput(serializers.Serializer[None]):
    appointment_type = PublicIdField(
        queryset=appointment_types_active(), not_found="No such appointment type."
    )
    practitioner = PublicIdField(
        queryset=practitioners_for(), not_found="No such practitioner.", required=False
    )
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    patient = PublicIdField(
        queryset=patients_active(),
        not_found="No such patient.",
        required=False,
        help_text="Staff only.",
    )


class WaitlistOutput(serializers.ModelSerializer[WaitlistEntry]):
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
