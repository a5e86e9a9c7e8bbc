"""Sign-in through the API: password, second factor (codes and passkeys), tokens."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers

from accounts.selectors.mfa import Method


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


class LoginAuthenticated(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=["authenticated"])
    tokens = TokenPairOutput()
    mfa_enrolment_required = serializers.BooleanField(
        help_text="Staff without a second factor: only MFA enrolment is open."
    )


class LoginMfaRequired(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=["mfa_required"])
    mfa_token = serializers.CharField(help_text="Send it to /auth/mfa with one of the methods.")
    methods = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[Method.TOTP, Method.SMS, Method.RECOVERY, Method.PASSKEY]
        )
    )
    expires_in = serializers.IntegerField(help_text="Seconds the mfa_token stays valid.")


# The password step answers one of two shapes, told apart by ``status``.
LoginOutput = PolymorphicProxySerializer(
    component_name="LoginResult",
    serializers={"authenticated": LoginAuthenticated, "mfa_required": LoginMfaRequired},
    resource_type_field_name="status",
    many=False,
)


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
                    {"credential": _("Send the passkey's answer (a JSON object).")}
                )
        elif not attrs.get("code"):
            raise serializers.ValidationError({"code": _("This field is required.")})
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


class KeyInput(serializers.Serializer[None]):
    key = serializers.CharField(max_length=256, help_text="The key from the link in the email.")
