"""Forms of the identity change pages: the patient's request and the reception's decision.
They only parse; ``accounts.services.identity`` decides (and applies the profile's rules)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import PatientProfile
from accounts.services.profiles import PATIENT_IDENTITY_FIELDS
from core.widgets import DateInput


class IdentityChangeRequestForm(forms.Form):
    """Shown filled with the current values; the fields the patient changes are asked for."""

    legal_name = forms.CharField(
        max_length=150,
        label=_("Full legal name"),
        help_text=_("As on your ID or insurance card."),
    )
    date_of_birth = forms.DateField(widget=DateInput, label=_("Date of birth"))
    sex = forms.ChoiceField(choices=PatientProfile.Sex.choices, label=_("Sex"))

    def __init__(self, *args: Any, profile: PatientProfile, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {name: getattr(profile, name) for name in PATIENT_IDENTITY_FIELDS}
        )
        super().__init__(*args, **kwargs)
        self.profile = profile

    def changes(self) -> dict[str, str | datetime.date]:
        """The fields whose posted value differs from the profile's."""
        return {
            name: self.cleaned_data[name]
            for name in PATIENT_IDENTITY_FIELDS
            if self.cleaned_data[name] != getattr(self.profile, name)
        }


class IdentityDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("approve", _("Approve")), ("reject", _("Reject"))]
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Shown to the patient when you reject, e.g. which proof to bring."),
    )
