"""The notification settings page's form: one checkbox per category x channel, quiet hours."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from notifications.selectors import PreferenceChoice


class PreferencesForm(forms.Form):
    quiet_hours_start = forms.TimeField(
        required=False,
        label=gettext_lazy("Quiet from"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_hours_end = forms.TimeField(
        required=False,
        # Translators: the end of the quiet hours, after "Quiet from" and its time.
        label=gettext_lazy("until"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args: Any, choices: list[PreferenceChoice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choices = choices
        for choice in choices:
            self.fields[choice.field_name] = forms.BooleanField(
                required=False,
                initial=choice.enabled,
                # Translators: a notification category and a channel, e.g. "Reminders: Email".
                label=_("%(category)s: %(channel)s")
                % {"category": choice.category_label, "channel": choice.channel_label},
                disabled=choice.locked or not choice.available,
            )

    def enabled(self) -> dict[str, bool]:
        return {
            choice.field_name: bool(self.cleaned_data.get(choice.field_name))
            for choice in self.choices
            if not choice.locked and choice.available
        }
