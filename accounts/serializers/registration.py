"""Getting an account: sign-up, confirming the address, password reset."""

from __future__ import annotations

from rest_framework import serializers


class SignupInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        max_length=256, trim_whitespace=False, style={"input_type": "password"}
    )
    legal_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()


class EmailInput(serializers.Serializer[None]):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInput(serializers.Serializer[None]):
    key = serializers.CharField(
        max_length=256, help_text="The part of the reset link after /key/, e.g. 2-cx6a8m-1d2f..."
    )
    password = serializers.CharField(max_length=256, trim_whitespace=False)
