"""``{% error_summary %}``: after a failed save, a list of what to correct at the top of the
page, each item a link to its field, focused when the page loads (so a screen reader reads
it and a keyboard user starts there). base.html puts it above every page's content: any
bound form in the page's context with errors is summarised, whatever its name."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BaseForm

register = template.Library()


@register.inclusion_tag("includes/error_summary.html", takes_context=True)
def error_summary(context: template.Context) -> dict[str, Any]:
    problems: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    values: list[Any] = list(context.flatten().values())
    for value in values:
        # type(), not isinstance(): isinstance() would evaluate the context's lazy values
        # (the reader's time zone, the user), a query each on pages that never use them.
        if not issubclass(type(value), BaseForm) or id(value) in seen:
            continue
        form: BaseForm = value
        seen.add(id(form))
        if not form.is_bound:
            continue
        # What is wrong with the form as a whole ("the email address and/or password are not
        # correct", "the end must be after the start") first: no field to link to.
        problems.extend(("", "", str(error)) for error in form.non_field_errors())
        for field in form:
            if field.is_hidden:
                continue
            problems.extend(
                (field.id_for_label or "", str(field.label or ""), str(error))
                for error in field.errors
            )
    return {"problems": problems}
