"""Forms of the appointments pages."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import PatientProfile, User
from accounts.roles import Role
from appointments.models import AppointmentType, AvailabilityException, Practitioner, WorkingHours
from core.widgets import DateInput


class FindSlotForm(forms.Form):
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(),
        to_field_name="public_id",
        label="Type of appointment",
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Any available",
    )
    date_from = forms.DateField(widget=DateInput, label="From")
    patient = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.PATIENT, is_active=True),
        to_field_name="public_id",
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(
        self, *args: Any, types: Any, practitioners: Any, staff: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = types  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]
        if not staff:
            del self.fields["patient"]
        else:
            self.fields["patient"].required = True

    def clean_date_from(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date_from"]
        if value < timezone.localdate():
            raise forms.ValidationError("Choose today or a later day.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        appointment_type, practitioner = data.get("appointment_type"), data.get("practitioner")
        if (
            appointment_type
            and practitioner
            and not practitioner.appointment_types.filter(pk=appointment_type.pk).exists()
        ):
            self.add_error(
                "practitioner",
                f"{practitioner.display_name} does not offer {appointment_type.name}.",
            )
        return data


class PatientByRecordNumberForm(forms.Form):
    """Reception: who the appointment is for. Posted, so the number never goes into a URL."""

    medical_record_number = forms.CharField(max_length=12, label="Patient's medical record number")

    def clean_medical_record_number(self) -> PatientProfile:
        number = self.cleaned_data["medical_record_number"].strip().upper()
        profile = (
            PatientProfile.objects.select_related("user")
            .filter(medical_record_number=number, user__is_active=True)
            .first()
        )
        if profile is None:
            raise forms.ValidationError("No patient has this medical record number.")
        return profile


class ConfirmBookingForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Reason for the visit (optional)",
        help_text="A few words help the clinic prepare. Only your care team sees it.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason"
    )

    def __init__(self, *args: Any, reason_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class WaitlistForm(forms.Form):
    appointment_type = forms.ModelChoiceField(
        queryset=AppointmentType.objects.none(), to_field_name="public_id"
    )
    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Any",
    )
    date_from = forms.DateField(widget=DateInput, label="Earliest day")
    date_to = forms.DateField(widget=DateInput, label="Latest day")

    def __init__(self, *args: Any, types: Any, practitioners: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = types  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]


class WorkingHoursForm(forms.ModelForm):
    class Meta:
        model = WorkingHours
        fields = ("weekday", "start_time", "end_time", "valid_from", "valid_until")
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": DateInput,
            "valid_until": DateInput,
        }


class ExceptionForm(forms.ModelForm):
    class Meta:
        model = AvailabilityException
        fields = ("kind", "start", "end", "reason")
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {
            "start": "In the practitioner's time zone.",
            "end": "In the practitioner's time zone.",
        }
