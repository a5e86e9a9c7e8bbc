"""Forms of the appointments pages. Rows are chosen by public id among the querysets of
selectors; who sees which field is the caller's predicate."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model, QuerySet
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer, get_default_renderer
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import PatientProfile
from accounts.models.patients import validate_date_of_birth
from accounts.selectors.users import patients_active
from accounts.validators import normalize_phone
from appointments.models import (
    AppointmentType,
    AvailabilityException,
    CalendarFeed,
    Practitioner,
    WorkingHours,
)
from appointments.selectors.schedules import (
    appointment_types_active,
    practitioner_offers,
    practitioners_for,
)
from core.widgets import DateInput, TelInput


def practitioner_display_name(*, title: str | None, full_name: str, email: str) -> str:
    """``Practitioner.display_name`` (the staff title, then ``User.get_full_name()``) from the
    loaded values, for lists that load no model instances."""
    return f"{title or ''} {full_name or email}".strip()


class PractitionerOption(str):
    """A practitioner option's value (their public id) that knows which types they offer: the
    page's script leaves out those who do not offer the chosen type (the server refuses the
    mismatch without it)."""

    offers: str  # the public ids of the types, separated by spaces

    def __new__(cls, public_id: object, offers: Iterable[object]) -> PractitionerOption:
        option = super().__new__(cls, str(public_id))
        option.offers = " ".join(str(type_id) for type_id in offers if type_id is not None)
        return option


class PractitionerChoices(ModelChoiceIterator):
    """The practitioner select's options, and the types each offers, in one query of five
    columns (a row per type offered): the model instances (practitioner, user, staff profile,
    department) of 50 practitioners cost ~1.5 ms a page, only for their names."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        names: dict[Any, str] = {}
        offers: dict[Any, list[Any]] = {}
        for public_id, full_name, email, title, type_id in self.queryset.values_list(
            "public_id",
            "user__full_name",
            "user__email",
            "user__staff_profile__title",
            "appointment_types__public_id",
        ):
            if public_id not in names:
                names[public_id] = practitioner_display_name(
                    title=title, full_name=full_name, email=email
                )
                offers[public_id] = []
            offers[public_id].append(type_id)
        for public_id, name in names.items():
            yield (PractitionerOption(public_id, offers[public_id]), name)


class PractitionerChoiceField(forms.ModelChoiceField[Practitioner]):
    iterator = PractitionerChoices


class TypeChoices(ModelChoiceIterator):
    """Appointment types grouped by department (an ``<optgroup>`` each), in the queryset's
    order (department, then name)."""

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        rows = self.queryset.values_list(
            "public_id", "name", "duration_minutes", "department__name"
        ).order_by("department__name", "name")
        # Translators: an appointment type and its length, e.g. "GP consultation (15 min)".
        named = _("%(name)s (%(minutes)s min)")
        for department, group in groupby(rows, key=itemgetter(3)):
            yield (
                department,
                [
                    (public_id, named % {"name": name, "minutes": minutes})
                    for public_id, name, minutes, _department in group
                ],
            )


class TypeChoiceField(forms.ModelChoiceField[AppointmentType]):
    iterator = TypeChoices


def _attributes(attrs: dict[str, Any]) -> str:
    """Django's ``attrs.html``: `` name="value"`` in order, `` name`` for True, nothing for
    False."""
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A ``<select>`` written in Python, with the markup of Django's ``select.html`` (which
    includes two templates per option: ~2 ms of the search page for 50 practitioners).
    Grouped choices go through the templates."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        context = self.get_context(name, value, attrs)
        widget = context["widget"]
        if any(group_name for group_name, _group, _index in widget["optgroups"]):
            # The choices read once: the context already holds them.
            html = (renderer or get_default_renderer()).render(self.template_name, context)
            return mark_safe(html)  # noqa: S308 - Django's own select template
        options = "".join(
            f'\n  <option value="{conditional_escape(str(option["value"]))}"'
            f"{_attributes(option['attrs'])}{_offers(option['value'])}>"
            f"{conditional_escape(option['label'])}</option>\n"
            for _name, group, _index in widget["optgroups"]
            for option in group
        )
        return mark_safe(  # noqa: S308 - every value escaped above
            f'<select name="{conditional_escape(widget["name"])}"'
            f"{_attributes(widget['attrs'])}>{options}\n</select>"
        )


def _offers(value: object) -> str:
    if isinstance(value, PractitionerOption):
        return f' data-offers="{conditional_escape(value.offers)}"'
    return ""


def _offer(form: forms.Form, name: str, queryset: QuerySet[Any]) -> None:
    """Limit a choice field to the rows this user may choose."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - declared below
    field.queryset = queryset


def _patient_field() -> forms.ModelChoiceField[Model]:
    return forms.ModelChoiceField(
        queryset=patients_active().select_related("patient_profile"),
        to_field_name="public_id",
        required=False,
        widget=forms.HiddenInput,
    )


def _ask_for_patient(form: forms.Form, *, choose_patient: bool) -> None:
    """Staff say whom they book for; for a patient the field does not exist."""
    if choose_patient:
        form.fields["patient"].required = True
    else:
        del form.fields["patient"]


class FindSlotForm(forms.Form):
    appointment_type = TypeChoiceField(
        queryset=AppointmentType.objects.none(),
        to_field_name="public_id",
        label=gettext_lazy("Type of appointment"),
        empty_label=gettext_lazy("Choose a type"),
        widget=ListSelect,
    )
    practitioner = PractitionerChoiceField(
        queryset=Practitioner.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label=gettext_lazy("Any available"),
        widget=ListSelect,
    )
    # Translators: the first day to look for free times from.
    date_from = forms.DateField(widget=DateInput, label=gettext_lazy("From"))
    patient = _patient_field()

    def __init__(
        self,
        *args: Any,
        types: QuerySet[AppointmentType],
        practitioners: QuerySet[Practitioner],
        choose_patient: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "appointment_type", types)
        _offer(self, "practitioner", practitioners)
        _ask_for_patient(self, choose_patient=choose_patient)

    def clean_date_from(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["date_from"]
        if value < timezone.localdate():
            raise forms.ValidationError(_("Choose today or a later day."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        appointment_type, practitioner = data.get("appointment_type"), data.get("practitioner")
        if (
            appointment_type
            and practitioner
            and not practitioner_offers(
                practitioner=practitioner, appointment_type=appointment_type
            )
        ):
            self.add_error(
                "practitioner",
                # Translators: e.g. "Dr Weber does not offer Child health check."
                _("%(practitioner)s does not offer %(type)s.")
                % {"practitioner": practitioner.display_name, "type": appointment_type.name},
            )
        return data


class ChosenSlotForm(forms.Form):
    """The time chosen among the free ones, carried in the confirm page's URL."""

    appointment_type = forms.ModelChoiceField(
        queryset=appointment_types_active(), to_field_name="public_id"
    )
    practitioner = forms.ModelChoiceField(queryset=practitioners_for(), to_field_name="public_id")
    start = forms.CharField()
    patient = _patient_field()

    def __init__(self, *args: Any, choose_patient: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _ask_for_patient(self, choose_patient=choose_patient)

    def clean_start(self) -> datetime.datetime:
        try:
            start = parse_datetime(self.cleaned_data["start"])
        except ValueError:
            start = None
        if start is None or timezone.is_naive(start):
            raise forms.ValidationError(_("Choose one of the times shown."))
        return start


class PatientByRecordNumberForm(forms.Form):
    """Reception: who the appointment is for. Posted, so the number never goes into a URL;
    the lookup itself (who may, the audit row) is ``accounts.services.lookup``."""

    medical_record_number = forms.CharField(
        max_length=12, label=gettext_lazy("Patient's medical record number")
    )


class PatientSearchForm(forms.Form):
    """Reception: find a patient who has no record number at hand, by date of birth or phone
    and their name. Posted (the page's URL carries none of it); the search itself is
    ``accounts.services.lookup.patients_find``."""

    prefix = "find"

    name = forms.CharField(
        max_length=150,
        required=False,
        label=gettext_lazy("Name"),
        help_text=gettext_lazy("Any part of the legal name, e.g. the family name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        required=False,
        label=gettext_lazy("Date of birth"),
        widget=DateInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=gettext_lazy("Phone"),
        widget=TelInput(attrs={"autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data["phone"]
        if not raw.strip():
            return ""
        try:
            return normalize_phone(raw, region=settings.HOSPITAL_PHONE_REGION)
        except forms.ValidationError:
            raise forms.ValidationError(
                _(
                    "Enter the phone number as the patient gave it, e.g. 020 7946 0958 or "
                    "+44 20 7946 0958."
                )
            ) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("date_of_birth") and not data.get("phone") and not self.errors:
            raise forms.ValidationError(
                _(
                    "Give the date of birth or the phone number (and the name if you have it): "
                    "a name alone matches too many people."
                )
            )
        return data


class DeskRegistrationForm(forms.Form):
    """A walk-in patient registered at the front desk (``users.patient_register_at_desk``)."""

    legal_name = forms.CharField(
        max_length=150,
        label=gettext_lazy("Legal name"),
        help_text=gettext_lazy("As on an identity document."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"),
        validators=[validate_date_of_birth],
        widget=DateInput(attrs={"autocomplete": "off"}),
    )
    sex = forms.ChoiceField(
        choices=PatientProfile.Sex.choices,
        initial=PatientProfile.Sex.UNKNOWN,
        label=gettext_lazy("Sex"),
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        label=gettext_lazy("Phone (optional)"),
        widget=TelInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        help_text=gettext_lazy(
            "The patient gets a link there to choose their password and sign in."
        ),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )

    def clean_phone(self) -> str:
        raw: str = self.cleaned_data["phone"]
        if not raw.strip():
            return ""
        try:
            return normalize_phone(raw, region=settings.HOSPITAL_PHONE_REGION)
        except forms.ValidationError:
            raise forms.ValidationError(
                _(
                    "Enter a phone number the patient can be reached on, e.g. 020 7946 0958 or "
                    "+44 20 7946 0958."
                )
            ) from None


class ConfirmBookingForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label=gettext_lazy("Reason for the visit (optional)"),
        help_text=gettext_lazy("A few words help the clinic prepare. Only your care team sees it."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=gettext_lazy("Reason"),
    )

    def __init__(self, *args: Any, reason_required: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = reason_required


class WaitlistForm(forms.Form):
    appointment_type = TypeChoiceField(
        queryset=AppointmentType.objects.none(),
        to_field_name="public_id",
        empty_label=gettext_lazy("Choose a type"),
        widget=ListSelect,
    )
    practitioner = PractitionerChoiceField(
        queryset=Practitioner.objects.none(),
        to_field_name="public_id",
        required=False,
        # Translators: any practitioner.
        empty_label=gettext_lazy("Any"),
        widget=ListSelect,
    )
    date_from = forms.DateField(widget=DateInput, label=gettext_lazy("Earliest day"))
    date_to = forms.DateField(widget=DateInput, label=gettext_lazy("Latest day"))

    def __init__(
        self,
        *args: Any,
        types: QuerySet[AppointmentType],
        practitioners: QuerySet[Practitioner],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _offer(self, "appointment_type", types)
        _offer(self, "practitioner", practitioners)


class WorkingHoursForm(forms.ModelForm[WorkingHours]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A select's empty choice says what to do, not "---------".
        _name_the_empty_choice(self.fields["weekday"], _("Choose a day"))

    class Meta:
        model = WorkingHours
        fields = ("weekday", "start_time", "end_time", "valid_from", "valid_until")
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": DateInput,
            "valid_until": DateInput,
        }


def _name_the_empty_choice(field: forms.Field, label: str) -> None:
    choices = list(getattr(field, "choices", []))
    if choices and choices[0][0] in ("", None):
        field.choices = [("", label), *choices[1:]]  # type: ignore[attr-defined]


class ExceptionForm(forms.ModelForm[AvailabilityException]):
    class Meta:
        model = AvailabilityException
        fields = ("kind", "start", "end", "reason")
        widgets = {
            "start": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "end": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        }
        help_texts = {
            "start": gettext_lazy("In the practitioner's time zone."),
            "end": gettext_lazy("In the practitioner's time zone."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        # The model's constraint says it too, for the whole form; here it is the end's error,
        # next to the field and linked from the error summary.
        if start and end and end <= start:
            self.add_error("end", gettext_lazy("The end must be after the start."))
        return cleaned


class CalendarFeedForm(forms.Form):
    """How the private calendar link titles appointments."""

    title_mode = forms.ChoiceField(
        label=gettext_lazy("Titles in your calendar"),
        choices=CalendarFeed.TitleMode.choices,
        initial=CalendarFeed.TitleMode.DETAILED,
        required=False,  # without a choice: the old link's, or detailed
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Calendars kept by Google, Microsoft or Apple are read by those companies: "
            "the neutral title shows only when and where."
        ),
    )
