"""The booking page's free times as links, built once per page instead of per slot in the
template: a department's week is ~2,000 links, and a ``{% url %}``, two ``|date`` filters
and a ``{% local_time %}`` tag for each cost ~200 ms of CPU a page.

One ``reverse()`` per page; each distinct start is formatted once (ISO instant for the
link) and each distinct (start, clinician's zone) once (the label: the text of
``{% local_time start zone "H:i" %}``, by ``appointments.views.time_labels``, so the page
reads exactly as before:
the clinician's wall clock, and the reader's own where their zone differs).
The markup is the template's old per-slot markup, with the same escaping.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import NamedTuple
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from appointments.selectors.slots import Slot
from appointments.views.time_labels import TimeLabels
from core.local_time import TIME_ONLY


class SlotDay(NamedTuple):
    """One day of free times (the clinicians' local day) and its list items' markup."""

    day: datetime.date
    items: SafeString


def slot_days(
    slots: Sequence[Slot],
    *,
    appointment_type_public_id: uuid.UUID,
    patient_public_id: uuid.UUID | None,
    viewer_zone: str,
) -> list[SlotDay]:
    """The free times grouped by their day in each practitioner's zone (consecutive runs, as
    the slots come sorted by instant), each a link to the confirm step."""
    confirm = reverse("appointments:book_confirm")
    head = f"{confirm}?appointment_type={conditional_escape(str(appointment_type_public_id))}"
    tail = (
        f"&amp;patient={conditional_escape(str(patient_public_id))}"
        if patient_public_id is not None
        else ""
    )
    # Links carry the instant in the current zone, as ``|date:'c'|urlencode`` wrote it.
    current = timezone.get_current_timezone()
    link_starts: dict[datetime.datetime, str] = {}
    times = TimeLabels(TIME_ONLY, viewer_zone=viewer_zone)
    labels: dict[tuple[datetime.datetime, str], tuple[datetime.date, str]] = {}
    practitioners: dict[int, tuple[str, str]] = {}
    days: list[SlotDay] = []
    day: datetime.date | None = None
    items: list[str] = []
    for slot in slots:
        practitioner = slot.practitioner
        who = practitioners.get(id(practitioner))
        if who is None:
            who = (
                f"{head}&amp;practitioner={conditional_escape(str(practitioner.public_id))}&amp;start=",
                str(conditional_escape(slot.practitioner_name)),
            )
            practitioners[id(practitioner)] = who
        start = slot.start
        zone = practitioner.zone
        local = labels.get((start, zone.key))
        if local is None:
            local = (
                start.astimezone(zone).date(),
                str(conditional_escape(times.label(start, zone))),
            )
            labels[(start, zone.key)] = local
        link_start = link_starts.get(start)
        if link_start is None:
            link_start = quote(start.astimezone(current).isoformat())
            link_starts[start] = link_start
        if local[0] != day:
            if day is not None:
                days.append(SlotDay(day, mark_safe("".join(items))))  # noqa: S308 - escaped above
            day, items = local[0], []
        items.append(
            f'\n    <li><a class="slot" href="{who[0]}{link_start}{tail}">{local[1]}'
            f' <span class="muted">{who[1]}</span></a></li>'
        )
    if day is not None:
        days.append(SlotDay(day, mark_safe("".join(items))))  # noqa: S308 - escaped above
    return days
