"""``{% local_time %}``: the one way templates show a time (see ``core.local_time``).

    {% load local_time %}
    {% local_time appointment.start appointment.practitioner.zone %}
    {% local_time appointment.start appointment.practitioner.zone "H:i" end=appointment.end %}
    {% local_time session.created_at %}            (no zone: the reader's own)
    {% local_time slot.start zone "H:i" label=False %}  (the page names the zone)

The reader's own zone is ``viewer_zone`` in the context (pages: the ``time_zone`` context
processor of accounts; emails: the recipient's, passed by the sender). Where it differs from
the zone shown, the same time follows in it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import template

from core.local_time import DEFAULT_FORMAT, ZoneLike, describe

register = template.Library()


@register.simple_tag(takes_context=True)
def local_time(
    context: template.Context,
    value: datetime.datetime | None,
    zone: ZoneLike = None,
    fmt: str = DEFAULT_FORMAT,
    *,
    end: datetime.datetime | None = None,
    label: bool = True,
) -> str:
    if value is None or value == "":
        return ""
    viewer_zone: Any = context.get("viewer_zone")
    return describe(
        value,
        zone if zone not in (None, "") else viewer_zone,
        fmt,
        end=end,
        viewer_zone=viewer_zone,
        label=label,
    )
