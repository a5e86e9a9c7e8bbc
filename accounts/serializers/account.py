"""The signed-in account: who it is, its sessions, password, email, deactivation."""

from __future__ import annotations

from functools import cache
from typing import Any

from rest_framework import serializers

from accounts.models import (
    AuthSession,
    Department,
    StaffProfile,
    User,
)
from accounts.selectors.sessions import device_label
from core.api import ReferenceSerializer


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


# Renders an AccountOverview (accounts.selectors.users), not a User: the model only gives
# the schema its field types. (A docstring here would become the schema's description.)
class MeOutput(serializers.ModelSerializer[Any]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    role_display = serializers.CharField(read_only=True)
    mfa_enabled = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "role",
            "role_display",
            "mfa_enabled",
            "email_verified",
            "date_joined",
        )
        read_only_fields = fields


def me_representation(overview: object) -> dict[str, Any]:
    """The body of GET /account/me for an AccountOverview: MeOutput's rendering, by one
    serializer built once (a ModelSerializer builds its fields from the model for every
    instance, which costs more than the rest of the request). Rendering keeps no state."""
    return dict(_me_output().to_representation(overview))


@cache
def _me_output() -> MeOutput:
    serializer = MeOutput()
    serializer.fields  # noqa: B018 - built now, once, not by the first concurrent renders
    return serializer


class DepartmentSerializer(serializers.ModelSerializer[Department]):
    id = serializers.UUIDField(source="public_id", read_only=True)

    class Meta:
        model = Department
        fields = ("id", "code", "name", "description", "location", "directions")
        read_only_fields = fields


class StaffProfileOutput(serializers.ModelSerializer[StaffProfile]):
    department = ReferenceSerializer(allow_null=True)

    class Meta:
        model = StaffProfile
        fields = ("title", "specialty", "licence_number", "department")
        read_only_fields = fields


class SessionOutput(serializers.ModelSerializer[AuthSession]):
    id = serializers.UUIDField(source="public_id", read_only=True)
    current = serializers.SerializerMethodField()
    mfa_verified = serializers.BooleanField(source="is_mfa_verified", read_only=True)
    device = serializers.SerializerMethodField(
        help_text='The browser or app in a person\'s words, e.g. "Firefox on Linux" (show this; '
        "user_agent is the raw header)."
    )

    class Meta:
        model = AuthSession
        fields = (
            "id",
            "kind",
            "ip_address",
            "device",
            "user_agent",
            "created_at",
            "last_seen_at",
            "expires_at",
            "mfa_verified",
            "current",
        )
        read_only_fields = fields

    def get_device(self, session: AuthSession) -> str:
        return device_label(user_agent=session.user_agent)

    def get_current(self, session: AuthSession) -> bool:
        return session.pk == self.context.get("current_pk")


class EndedOutput(serializers.Serializer[dict[str, Any]]):
    ended = serializers.IntegerField()
