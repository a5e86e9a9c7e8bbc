"""Form widgets shared by the apps' pages."""

from __future__ import annotations

from typing import Any

from django import forms


class DateInput(forms.DateInput):
    """A native date picker; its value must be ISO 8601 whatever the site's locale."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TelInput(forms.TextInput):
    """A phone number: phones show the dial pad."""

    input_type = "tel"
