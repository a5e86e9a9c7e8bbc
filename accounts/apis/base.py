"""What the accounts endpoints share: the door for callers not signed in yet, and allauth's
form errors in the API's field names."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.views import APIView

# The same answer whether or not the address has an account (no enumeration).
ACCEPTED_DETAIL = _("If this address can be used, we have sent an email with the next step.")


class PublicApi(APIView):
    """Endpoints used before signing in: no session, no CSRF, abuse limits in the services."""

    authentication_classes: list[type] = []
    permission_classes = (permissions.AllowAny,)


def form_errors(form: Any) -> ValidationError:
    """allauth's field names → the API's, so errors point at what the client sent."""
    renames = {"password1": "password", "oldpassword": "current_password", "login": "email"}
    errors = {renames.get(field, field): messages for field, messages in form.errors.items()}
    if "__all__" in errors:
        errors["non_field_errors"] = errors.pop("__all__")
    return ValidationError(errors)
