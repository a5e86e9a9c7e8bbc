"""The visit's status changes: check-in (front desk), start and complete (the practitioner),
and no-shows (by hand or by the periodic job)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from appointments import permissions
from appointments.errors import (
    CheckInNotOpen,
    InvalidTransition,
    NotAllowed,
    VisitNotCheckedIn,
    VisitNotStarted,
)
from appointments.events import AppointmentStatusChanged, appointment_facts
from appointments.lifecycle import status_move, undoes_check_in
from appointments.models import Appointment
from appointments.selectors.appointments import appointment_for_update
from audit.services import record
from core.events import publish
from core.local_time import describe

Status = Appointment.Status
VISIT_NOTE_MAX = 4000


def _no_show_grace() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES)


@transaction.atomic
def appointment_set_status(
    *,
    actor: User | None,
    appointment: Appointment,
    to_status: str,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
    note: str = "",
) -> Appointment:
    """Check in (front desk), start and complete (the practitioner, with a visit note if
    given), mark a no-show; and back to booked from checked in: a check-in undone (front
    desk, before the visit starts)."""
    now = now or timezone.now()
    appointment = appointment_for_update(appointment=appointment)
    if not permissions.can_set_status(user=actor, appointment=appointment, to_status=to_status):
        raise NotAllowed()
    _refuse_a_step_out_of_order(appointment=appointment, to_status=to_status, now=now)
    undone = undoes_check_in(appointment=appointment, to_status=to_status)
    if to_status == Status.NO_SHOW and not permissions.no_show_open(
        appointment=appointment, now=now
    ):
        raise InvalidTransition(
            _("A no-show can be recorded only after the grace period past the start.")
        )
    note = note.strip()
    if note and to_status != Status.COMPLETED:
        raise InvalidTransition(_("A visit note is written when the visit is completed."))
    if len(note) > VISIT_NOTE_MAX:
        raise ValidationError(
            {
                "note": ngettext(
                    "Keep the note under %(count)d character.",
                    "Keep the note under %(count)d characters.",
                    VISIT_NOTE_MAX,
                )
                % {"count": VISIT_NOTE_MAX}
            }
        )
    status_move(appointment=appointment, to_status=to_status, now=now)
    if note:
        appointment.visit_note = note
    appointment.save()
    record(
        action="appointments.check_in_undone" if undone else f"appointments.{to_status}",
        actor=actor,
        target=appointment,
        patient=appointment.patient,
        request=request,
        # Whether a note was written, never what it says.
        details={"note": True} if note else None,
    )
    publish(
        AppointmentStatusChanged(**appointment_facts(appointment, actor=actor), status=to_status)
    )
    return appointment


def _refuse_a_step_out_of_order(
    *, appointment: Appointment, to_status: str, now: datetime.datetime
) -> None:
    """The visit in its order and at its time: start after the check-in, complete after the
    start, nothing before check-in opens (``permissions.visit_step_open``)."""
    if to_status == Status.IN_PROGRESS and appointment.status == Status.BOOKED:
        raise VisitNotCheckedIn(_("The patient has not been checked in yet: check them in first."))
    if to_status == Status.COMPLETED and appointment.status in (Status.BOOKED, Status.CHECKED_IN):
        raise VisitNotStarted(_("The visit has not been started yet: start it first."))
    if not permissions.visit_step_open(appointment=appointment, to_status=to_status, now=now):
        opens = describe(
            permissions.check_in_opens_at(appointment=appointment),
            appointment.practitioner.zone,
            "l j F Y, H:i",
        )
        minutes = settings.APPOINTMENT_CHECK_IN_OPENS_MINUTES
        if to_status == Status.CHECKED_IN:
            message = ngettext(
                # Translators: opens is a date and time, e.g. "Monday 2 March 2026, 08:45
                # (Europe/London)".
                "Check-in opens at %(opens)s, %(minutes)d minute before the start.",
                "Check-in opens at %(opens)s, %(minutes)d minutes before the start.",
                minutes,
            ) % {"opens": opens, "minutes": minutes}
        else:
            message = _("The visit cannot be recorded before check-in opens at %(opens)s.") % {
                "opens": opens
            }
        raise CheckInNotOpen(message)


def appointments_mark_no_shows(*, now: datetime.datetime | None = None) -> int:
    """Booked appointments never checked in, past the grace period: no-shows. Periodic task."""
    now = now or timezone.now()
    due = list(
        Appointment.objects.filter(
            status=Status.BOOKED, start__lt=now - _no_show_grace()
        ).values_list("pk", flat=True)
    )
    marked = 0
    for pk in due:
        try:
            appointment_set_status(
                actor=None, appointment=Appointment(pk=pk), to_status=Status.NO_SHOW, now=now
            )
        except InvalidTransition:
            continue  # checked in meanwhile
        marked += 1
    return marked
