"""Forms for creating and editing users in the admin."""

from typing import ClassVar

from django import forms
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts.models import User


class UserAdminCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields: ClassVar = ("email", "full_name")

    def clean_username(self) -> str:
        # No username field: email uniqueness (case-insensitive) is the model's constraint.
        return ""


class UserAdminChangeForm(UserChangeForm):
    email = forms.EmailField(max_length=254)

    class Meta:
        model = User
        fields: ClassVar = ("email", "full_name", "is_active", "is_staff", "is_superuser")
