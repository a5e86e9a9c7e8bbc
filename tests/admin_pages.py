"""Driving the Django admin's change forms from tests: post back what a page rendered."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms


def changeform_data(response: Any) -> dict[str, Any]:
    """The POST body a browser sends from a rendered admin add/change page, unchanged:
    every field of the form and of its inline formsets (with their management forms)."""
    data: dict[str, Any] = {}
    _form_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_values(formset.management_form, data)
        for form in formset.initial_forms:
            _form_values(form, data)
    return data


def inline_add_row(data: dict[str, Any], prefix: str, values: dict[str, Any]) -> None:
    """Fill one more (extra) row of an inline formset, as the "Add another" link does."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    for name, value in values.items():
        data[f"{prefix}-{index}-{name}"] = value


def _form_values(form: forms.BaseForm, data: dict[str, Any]) -> None:
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        value = form[name].value()
        widget = field.widget
        if isinstance(widget, forms.MultiWidget):
            parts: list[Any] = value if isinstance(value, list) else widget.decompress(value) or []
            for index, part in enumerate(parts):
                data[f"{key}_{index}"] = _text(part)
        elif isinstance(value, bool) or isinstance(widget, forms.CheckboxInput):
            if value:
                data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [_text(item) for item in value]
        else:
            data[key] = _text(value)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S")
    return str(value)
