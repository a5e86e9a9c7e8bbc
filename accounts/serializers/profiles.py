"""Patient and staff profiles, and requests to change identity fields."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import (
    IdentityChangeRequest,
    PatientProfile,
)
from accounts.services.profiles import PATIENT_EDITABLE_FIELDS, PATIENT_IDENTITY_FIELDS


class PatientProfileSerializer(serializers.ModelSerializer[PatientProfile]):
    class Meta:
        model = PatientProfile
        fields: tuple[str, ...] = (
            "medical_record_number",
            *PATIENT_IDENTITY_FIELDS,
            *PATIENT_EDITABLE_FIELDS,
            "updated_at",
        )
        # Identity fields change only through an identity change request.
        read_only_fields = ("medical_record_number", *PATIENT_IDENTITY_FIELDS, "updated_at")
        extra_kwargs: dict[str, dict[str, Any]] = {
            "phone": {"validators": []},  # normalised to E.164 by the service
            "emergency_contact_phone": {"validators": []},
        }


# --- Identity change requests (issue 8, point 13) -------------------------------------------


class IdentityChangeRequestInput(serializers.Serializer[None]):
    legal_name = serializers.CharField(max_length=150, required=False)
    date_of_birth = serializers.DateField(
        required=False, help_text="ISO 8601; not before 1900, not in the future."
    )
    sex = serializers.ChoiceField(choices=PatientProfile.Sex.choices, required=False)


class IdentityChangeRequestOutput(serializers.ModelSerializer[IdentityChangeRequest]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    current_value = serializers.CharField(
        source="old_value", read_only=True, help_text="The value when the request was made."
    )
    requested_value = serializers.CharField(source="new_value", read_only=True)

    class Meta:
        model = IdentityChangeRequest
        fields = (
            "id",
            "field",
            "current_value",
            "requested_value",
            "status",
            "requested_at",
            "decided_at",
            "decision_note",
        )
        read_only_fields = fields


# The profile with the identity changes still waiting for a decision (the view passes them
# as context["pending_identity_changes"]).
class PatientProfileOutput(PatientProfileSerializer):
    pending_identity_changes = serializers.SerializerMethodField()

    class Meta(PatientProfileSerializer.Meta):
        fields = (*PatientProfileSerializer.Meta.fields, "pending_identity_changes")
        read_only_fields = fields  # type: ignore[assignment]  # an answer: all always present

    @extend_schema_field(IdentityChangeRequestOutput(many=True))
    def get_pending_identity_changes(self, profile: PatientProfile) -> list[dict[str, Any]]:
        pending = self.context.get("pending_identity_changes", [])
        return list(IdentityChangeRequestOutput(pending, many=True).data)
