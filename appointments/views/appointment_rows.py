"""The rows of "my appointments", built for the whole page in the view.

A row shows when (the clinician's time, and the reader's where their zone differs), what,
with whom and the status, and links to the appointment. The page used to load every row
with all the columns of five related models and format it with a ``{% url %}`` and a
``{% local_time %}`` each; here the rows come as the few values they show (one query per
list, whatever its length), each clinician's name and zone are worked out once, every link
comes from one ``reverse()`` and every time from ``TimeLabels``.
"""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import QuerySet
from django.urls import reverse

from appointments.forms import practitioner_display_name
from appointments.models import Appointment
from appointments.selectors.appointments import PatientAppointments
from appointments.views.time_labels import TimeLabels
from core.local_time import zone_named

ROW_TIME_FORMAT = "D j M Y, H:i"
HELD_UNTIL_FORMAT = "D j M, H:i"
_COLUMNS = (
    "public_id",
    "start",
    "status",
    "hold_expires_at",
    "appointment_type__name",
    "practitioner_id",
    "practitioner__time_zone",
    "practitioner__user__full_name",
    "practitioner__user__email",
    "practitioner__user__staff_profile__title",
)


class AppointmentRow(NamedTuple):
    """A row of a list: the link to the appointment and what the row shows."""

    url: str
    when: str
    what: str
    with_whom: str
    status: str


class OfferRow(NamedTuple):
    """A time the waitlist holds for the patient, and until when."""

    what: str
    with_whom: str
    when: str
    held_until: str


class PatientLists(NamedTuple):
    upcoming: list[AppointmentRow]
    cancelled: list[AppointmentRow]
    past: list[AppointmentRow]
    offers: list[OfferRow]


class _Clinician(NamedTuple):
    zone: zoneinfo.ZoneInfo
    name: str


def _clinician(time_zone: str, full_name: str, email: str, title: str | None) -> _Clinician:
    """``Practitioner.zone`` and ``Practitioner.display_name`` from the loaded values: three
    model instances a clinician would cost more than their rows.
    tests/appointments/test_page_cost.py compares them."""
    return _Clinician(
        zoneinfo.ZoneInfo(time_zone),
        practitioner_display_name(title=title, full_name=full_name, email=email),
    )


def patient_lists(mine: PatientAppointments, *, viewer_zone: str) -> PatientLists:
    """Upcoming, cancelled and offered times in one query (the three sets differ by status
    alone), the past ones in another."""
    times = TimeLabels(ROW_TIME_FORMAT, viewer_zone=viewer_zone)
    held_until = TimeLabels(HELD_UNTIL_FORMAT, viewer_zone=viewer_zone)
    reader = zone_named(viewer_zone)
    sentinel = str(uuid.UUID(int=0))
    head, tail = reverse("appointments:detail", args=[sentinel]).split(sentinel)
    clinicians: dict[int, _Clinician] = {}
    # The statuses in words, in the page's language.
    status_labels = {str(value): str(label) for value, label in Appointment.Status.choices}

    def rows(appointments: QuerySet[Appointment]) -> Iterable[tuple[Any, ...]]:
        for row in appointments.values_list(*_COLUMNS):
            clinician = clinicians.get(row[5])
            if clinician is None:
                clinician = clinicians[row[5]] = _clinician(*row[6:])
            yield (*row[:5], clinician)

    def listed(
        public_id: uuid.UUID, start: datetime.datetime, status: str, what: str, who: _Clinician
    ) -> AppointmentRow:
        return AppointmentRow(
            url=f"{head}{public_id}{tail}",
            when=times.label(start, who.zone),
            what=what,
            with_whom=who.name,
            status=status_labels.get(status, status),
        )

    lists = PatientLists([], [], [], [])
    for public_id, start, status, hold_expires_at, what, who in rows(
        mine.upcoming | mine.cancelled | mine.offers
    ):
        if status == Appointment.Status.HELD:
            lists.offers.append(
                OfferRow(
                    what=what,
                    with_whom=who.name,
                    when=times.label(start, who.zone),
                    held_until=held_until.label(hold_expires_at, reader)
                    if hold_expires_at is not None
                    else "",
                )
            )
        elif status == Appointment.Status.CANCELLED:
            lists.cancelled.append(listed(public_id, start, status, what, who))
        else:
            lists.upcoming.append(listed(public_id, start, status, what, who))
    lists.past.extend(
        listed(public_id, start, status, what, who)
        for public_id, start, status, _, what, who in rows(mine.past)
    )
    return lists
