"""Second factors: what the account has, setting one up, recovery codes, removal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework import serializers

from accounts.selectors.mfa import DeviceSummary, Method


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
