"""The notifications API's shapes."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class NotificationOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    kind = serializers.CharField(
        read_only=True, help_text='What happened, e.g. "appointment.booked".'
    )
    category = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    link = serializers.CharField(
        read_only=True, help_text="A path on the website where the message leads, or empty."
    )
    created_at = serializers.DateTimeField(read_only=True)
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)


class UnreadCountOutput(serializers.Serializer[dict[str, Any]]):
    unread_count = serializers.IntegerField(min_value=0)


class ReadAllOutput(serializers.Serializer[dict[str, Any]]):
    marked_read = serializers.IntegerField(min_value=0, help_text="How many were unread.")
    unread_count = serializers.IntegerField(min_value=0)


class PreferenceOutput(serializers.Serializer[Any]):
    name = serializers.CharField(
        source="field_name", help_text='"<category>.<channel>", e.g. "reminders.sms".'
    )
    category = serializers.CharField()
    channel = serializers.CharField()
    enabled = serializers.BooleanField()
    locked = serializers.BooleanField(help_text="Security messages cannot be switched off.")
    available = serializers.BooleanField(
        help_text="False for SMS until a mobile number is verified (text-message sign-in)."
    )


_HOUR_MINUTE = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class QuietHours(serializers.Serializer[dict[str, Any]]):
    start = serializers.RegexField(
        _HOUR_MINUTE, help_text="Local time, HH:MM, e.g. 22:00.", max_length=5
    )
    end = serializers.RegexField(
        _HOUR_MINUTE, help_text="Local time, HH:MM, e.g. 07:00.", max_length=5
    )


class PreferencesOutput(serializers.Serializer[dict[str, Any]]):
    choices = PreferenceOutput(many=True)
    quiet_hours = QuietHours(allow_null=True)
    time_zone = serializers.CharField(help_text="The zone quiet hours are in (yours).")


class PreferencesInput(serializers.Serializer[dict[str, Any]]):
    choices = serializers.DictField(
        child=serializers.BooleanField(),
        required=False,
        default=dict,
        help_text='Choices to change, by name: {"reminders.sms": true}.',
    )
    quiet_hours = QuietHours(
        allow_null=True,
        required=False,
        help_text="SMS and live pushes wait until they end (security emails never wait); "
        "null for none. Left out: unchanged.",
    )
