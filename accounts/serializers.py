"""API input and output shapes of the accounts app. Inputs only parse; services decide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import (
    AuthSession,
    Department,
    IdentityChangeRequest,
    PatientProfile,
    StaffProfile,
    User,
)
from accounts.selectors.mfa import DeviceSummary, Method
from accounts.services.profiles import PATIENT_EDITABLE_FIELDS, PATIENT_IDENTITY_FIELDS


class LoginInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, style={"input_type": "password"}
    )
    challenge_token = serializers.CharField(max_length=512, required=False, allow_blank=True)
    challenge_nonce = serializers.CharField(max_length=32, required=False, allow_blank=True)


class TokenPairOutput(serializers.Serializer[dict[str, Any]]):
    token_type = serializers.CharField()
    access_token = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    expires_in = serializers.IntegerField(help_text="Seconds until the access token expires.")
    refresh_token = serializers.CharField()
    refresh_expires_at = serializers.DateTimeField()
    session_id = serializers.UUIDField()


class LoginOutput(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=["authenticated", "mfa_required"])
    tokens = TokenPairOutput(required=False, help_text="When status is authenticated.")
    mfa_enrolment_required = serializers.BooleanField(
        required=False, help_text="Staff without a second factor: only MFA enrolment is open."
    )
    mfa_token = serializers.CharField(
        required=False, help_text="When status is mfa_required: send it to /auth/mfa."
    )
    methods = serializers.ListField(child=serializers.CharField(), required=False)
    expires_in = serializers.IntegerField(required=False)


class MfaInput(serializers.Serializer[None]):
    mfa_token = serializers.CharField(max_length=1024)
    method = serializers.ChoiceField(
        choices=[Method.TOTP, Method.SMS, Method.RECOVERY, Method.PASSKEY]
    )
    code = serializers.CharField(
        max_length=32, required=False, help_text="The code: for totp, sms and recovery."
    )
    credential = serializers.JSONField(
        required=False,
        help_text=(
            "For passkey: the PublicKeyCredential (JSON form, as PublicKeyCredential.toJSON() "
            "or a platform passkey API returns it) answering the options of "
            "/auth/mfa/passkey/begin."
        ),
    )
    challenge_token = serializers.CharField(max_length=512, required=False, allow_blank=True)
    challenge_nonce = serializers.CharField(max_length=32, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["method"] == Method.PASSKEY:
            if not isinstance(attrs.get("credential"), dict):
                raise serializers.ValidationError(
                    {"credential": "Send the passkey's answer (a JSON object)."}
                )
        elif not attrs.get("code"):
            raise serializers.ValidationError({"code": "This field is required."})
        return attrs


class PasskeyOptionsOutput(serializers.Serializer[dict[str, Any]]):
    # PublicKeyCredentialRequestOptions in their JSON form (WebAuthn Level 3), ready for
    # PublicKeyCredential.parseRequestOptionsFromJSON() or a platform passkey API.
    challenge = serializers.CharField(help_text="base64url")
    timeout = serializers.IntegerField(help_text="Milliseconds.")
    rpId = serializers.CharField()
    allowCredentials = serializers.ListField(
        child=serializers.DictField(), help_text="The account's passkeys: id, type, transports."
    )
    userVerification = serializers.CharField()


class MfaSmsInput(serializers.Serializer[None]):
    mfa_token = serializers.CharField(max_length=1024)


class RefreshInput(serializers.Serializer[None]):
    refresh_token = serializers.CharField(max_length=128)


class SignupInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, style={"input_type": "password"}
    )
    legal_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()


class EmailInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)


class KeyInput(serializers.Serializer[None]):
    key = serializers.CharField(max_length=256, help_text="The key from the link in the email.")


class PasswordResetConfirmInput(serializers.Serializer[None]):
    key = serializers.CharField(
        max_length=256, help_text="The part of the reset link after /key/, e.g. 2-cx6a8m-1d2f..."
    )
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordChangeInput(serializers.Serializer[None]):
    current_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordConfirmInput(serializers.Serializer[None]):
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, help_text="Your current password."
    )


class EmailChangeInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, help_text="Your current password."
    )


class DetailOutput(serializers.Serializer[dict[str, Any]]):
    detail = serializers.CharField()


# Renders an AccountOverview (accounts.selectors.users), not a User: the model only gives
# the schema its field types. (A docstring here would become the schema's description.)
class MeOutput(serializers.ModelSerializer[Any]):
    role_display = serializers.CharField()
    mfa_enabled = serializers.BooleanField()
    email_verified = serializers.BooleanField()

    class Meta:
        model = User
        fields = (
            "public_id",
            "email",
            "full_name",
            "role",
            "role_display",
            "mfa_enabled",
            "email_verified",
            "date_joined",
        )


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


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    class Meta:
        model = Department
        fields = ("public_id", "code", "name", "description")


class StaffProfileOutput(serializers.ModelSerializer[StaffProfile]):
    department = DepartmentSerializer(allow_null=True)

    class Meta:
        model = StaffProfile
        fields = ("title", "specialty", "licence_number", "department")


class SessionOutput(serializers.ModelSerializer[AuthSession]):
    id = serializers.UUIDField(source="public_id")
    current = serializers.SerializerMethodField()
    mfa_verified = serializers.BooleanField(source="is_mfa_verified")

    class Meta:
        model = AuthSession
        fields = (
            "id",
            "kind",
            "ip_address",
            "user_agent",
            "created_at",
            "last_seen_at",
            "expires_at",
            "mfa_verified",
            "current",
        )

    def get_current(self, session: AuthSession) -> bool:
        return session.pk == self.context.get("current_pk")


class DeviceOutput(
    serializers.Serializer[DeviceSummary | Sequence[DeviceSummary]]
):  # renders DeviceSummary rows (many=True)
    id = serializers.CharField(help_text="Pass it to /account/mfa/remove.")
    method = serializers.ChoiceField(
        choices=[Method.TOTP, Method.SMS, Method.RECOVERY, Method.PASSKEY]
    )
    name = serializers.CharField()
    detail = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TotpSetupOutput(serializers.Serializer[dict[str, Any]]):
    secret = serializers.CharField(help_text="Base32 key to type into an authenticator app.")
    otpauth_url = serializers.CharField(help_text="otpauth:// URI for a QR code.")


class CodeInput(serializers.Serializer[None]):
    code = serializers.CharField(max_length=16)


class PhoneInput(serializers.Serializer[None]):
    phone = serializers.CharField(
        max_length=32, help_text="E.164 or international format, e.g. +44 7911 123456."
    )
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, help_text="Your current password."
    )


class RecoveryCodesOutput(serializers.Serializer[dict[str, Any]]):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class DeviceRemoveInput(serializers.Serializer[None]):
    device_id = serializers.CharField(max_length=128)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class EndedOutput(serializers.Serializer[dict[str, Any]]):
    ended = serializers.IntegerField()


# --- Identity change requests (issue 8, point 13) -------------------------------------------


class IdentityChangeRequestInput(serializers.Serializer[None]):
    legal_name = serializers.CharField(max_length=150, required=False)
    date_of_birth = serializers.DateField(
        required=False, help_text="ISO 8601; not before 1900, not in the future."
    )
    sex = serializers.ChoiceField(choices=PatientProfile.Sex.choices, required=False)


class IdentityChangeRequestOutput(serializers.ModelSerializer[IdentityChangeRequest]):
    id = serializers.UUIDField(source="public_id")
    current_value = serializers.CharField(
        source="old_value", help_text="The value when the request was made."
    )
    requested_value = serializers.CharField(source="new_value")

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


# The profile with the identity changes still waiting for a decision (the view passes them
# as context["pending_identity_changes"]).
class PatientProfileOutput(PatientProfileSerializer):
    pending_identity_changes = serializers.SerializerMethodField()

    class Meta(PatientProfileSerializer.Meta):
        fields = (*PatientProfileSerializer.Meta.fields, "pending_identity_changes")

    @extend_schema_field(IdentityChangeRequestOutput(many=True))
    def get_pending_identity_changes(self, profile: PatientProfile) -> list[dict[str, Any]]:
        pending = self.context.get("pending_identity_changes", [])
        return list(IdentityChangeRequestOutput(pending, many=True).data)
