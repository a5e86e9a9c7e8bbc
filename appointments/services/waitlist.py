"""The waitlist: when a matching time is freed, the first waiting patient is offered it and
holds it (a HELD appointment, so nobody else can take it) until they accept, decline or the
hold expires; then the next patient is offered it."""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from appointments import permissions
from appointments.errors import NotAllowed, OfferExpired
from appointments.events import (
    AppointmentBooked,
    WaitlistHoldReleased,
    WaitlistSlotOffered,
    appointment_facts,
)
from appointments.lifecycle import appointment_revised
from appointments.models import Appointment, AppointmentType, Practitioner, WaitlistEntry
from appointments.selectors.schedules import practitioner_offers
from appointments.selectors.slots import slot_is_free
from audit.services import record
from core.events import publish

Status = Appointment.Status


@transaction.atomic
def waitlist_join(
    *,
    actor: User,
    patient: User,
    appointment_type: AppointmentType,
    date_from: datetime.date,
    date_to: datetime.date,
    practitioner: Practitioner | None = None,
    request: HttpRequest | None = None,
) -> WaitlistEntry:
    """Wait for a time of this type (with this practitioner, if given) between two days."""
    if not permissions.may_book_for(user=actor, patient=patient):
        raise NotAllowed(_("Patients book for themselves."))
    if not permissions.can_join_waitlist(user=actor):
        raise NotAllowed()
    if not permissions.type_bookable_by(user=actor, appointment_type=appointment_type):
        raise NotAllowed(_("This appointment type is booked through the reception."))
    today = timezone.now().date()
    if date_from < today:
        raise ValidationError({"date_from": _("The first day cannot be in the past.")})
    if practitioner is not None and not practitioner_offers(
        practitioner=practitioner, appointment_type=appointment_type
    ):
        raise ValidationError(
            {
                # Translators: e.g. "Dr Weber does not offer Child health check."
                "practitioner": _("%(practitioner)s does not offer %(type)s.")
                % {"practitioner": practitioner.display_name, "type": appointment_type.name}
            }
        )
    entry = WaitlistEntry(
        patient=patient,
        appointment_type=appointment_type,
        practitioner=practitioner,
        date_from=date_from,
        date_to=date_to,
    )
    entry.full_clean()
    entry.save()
    record(
        action="appointments.waitlist_joined",
        actor=actor,
        target=entry,
        patient=patient,
        request=request,
    )
    return entry


@transaction.atomic
def waitlist_leave(
    *, actor: User, entry: WaitlistEntry, request: HttpRequest | None = None
) -> None:
    """Stop waiting; a time held for the patient goes back."""
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if not permissions.may_book_for(user=actor, patient=entry.patient):
        raise NotAllowed()
    if entry.status == WaitlistEntry.Status.OFFERED and entry.offered_appointment_id:
        _release_hold(entry.offered_appointment_id, reason="Left the waitlist")
    entry.status = WaitlistEntry.Status.CANCELLED
    entry.save(update_fields=["status"])
    record(
        action="appointments.waitlist_left",
        actor=actor,
        target=entry,
        patient=entry.patient,
        request=request,
    )


def _release_hold(appointment_id: int, *, reason: str) -> Appointment | None:
    held = (
        Appointment.objects.select_for_update()
        .filter(pk=appointment_id, status=Status.HELD)
        .first()
    )
    if held is None:
        return None
    held.status = Status.CANCELLED
    held.cancelled_at = timezone.now()
    held.cancellation_reason = reason
    appointment_revised(appointment=held)
    held.save(
        update_fields=["status", "cancelled_at", "cancellation_reason", "revision", "updated_at"]
    )
    return held


@transaction.atomic
def waitlist_offer_time(
    *,
    practitioner_id: int,
    appointment_type_id: int,
    start: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Appointment | None:
    """Offer a freed time to the first waiting patient who fits; returns the hold, if any."""
    now = now or timezone.now()
    practitioner = Practitioner.objects.select_related("user").get(pk=practitioner_id)
    appointment_type = AppointmentType.objects.get(pk=appointment_type_id)
    if not slot_is_free(
        appointment_type=appointment_type, practitioner=practitioner, start=start, now=now
    ):
        return None
    local_day = start.astimezone(practitioner.zone).date()
    end = start + datetime.timedelta(minutes=appointment_type.duration_minutes)
    # Patients who already had this very time offered (declined or let it expire) are skipped.
    already_offered = Appointment.objects.filter(
        practitioner=practitioner, start=start, channel=Appointment.Channel.WAITLIST
    ).values("patient")
    candidates = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(
            status=WaitlistEntry.Status.WAITING,
            appointment_type=appointment_type,
            date_from__lte=local_day,
            date_to__gte=local_day,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner=practitioner))
        .exclude(patient__in=already_offered)
        .order_by("created_at", "pk")
    )
    hold_expires_at = now + datetime.timedelta(minutes=settings.WAITLIST_HOLD_MINUTES)
    for entry in candidates:
        try:
            with transaction.atomic():
                hold = Appointment.objects.create(
                    patient_id=entry.patient_id,
                    practitioner=practitioner,
                    appointment_type=appointment_type,
                    start=start,
                    end=end,
                    blocked_until=end
                    + datetime.timedelta(minutes=appointment_type.buffer_after_minutes),
                    status=Status.HELD,
                    channel=Appointment.Channel.WAITLIST,
                    hold_expires_at=hold_expires_at,
                )
        except IntegrityError as error:
            if "patient_no_overlap" in str(error):
                continue  # this patient is busy then: the next one
            return None  # the time itself was taken meanwhile
        entry.status = WaitlistEntry.Status.OFFERED
        entry.offered_appointment = hold
        entry.save(update_fields=["status", "offered_appointment"])
        record(
            action="appointments.waitlist_offered",
            target=hold,
            patient=hold.patient,
            details={"hold_minutes": settings.WAITLIST_HOLD_MINUTES},
        )
        publish(
            WaitlistSlotOffered(
                **appointment_facts(hold, actor=None), hold_expires_at=hold_expires_at
            )
        )
        return hold
    return None


def _entry_for_hold(
    actor: User, hold_public_id: uuid.UUID | str
) -> tuple[WaitlistEntry, Appointment]:
    """The actor's entry holding this offered time, locked, and the hold."""
    entry = (
        WaitlistEntry.objects.select_for_update()
        .select_related("offered_appointment")
        .filter(
            patient=actor,
            offered_appointment__public_id=hold_public_id,
            status=WaitlistEntry.Status.OFFERED,
        )
        .first()
    )
    if entry is None or entry.offered_appointment is None:
        raise OfferExpired()
    return entry, entry.offered_appointment


@transaction.atomic
def waitlist_accept(
    *,
    actor: User,
    hold_public_id: uuid.UUID | str,
    request: HttpRequest | None = None,
    now: datetime.datetime | None = None,
) -> Appointment:
    """Take the offered time: the hold becomes a booking."""
    now = now or timezone.now()
    entry, offered = _entry_for_hold(actor, hold_public_id)
    hold = Appointment.objects.select_for_update().get(pk=offered.pk)
    if hold.status != Status.HELD or (hold.hold_expires_at and hold.hold_expires_at < now):
        raise OfferExpired()
    hold.status = Status.BOOKED
    hold.booked_by = actor
    hold.hold_expires_at = None
    appointment_revised(appointment=hold)
    hold.save(update_fields=["status", "booked_by", "hold_expires_at", "revision", "updated_at"])
    entry.status = WaitlistEntry.Status.BOOKED
    entry.save(update_fields=["status"])
    record(
        action="appointments.booked",
        actor=actor,
        target=hold,
        patient=actor,
        request=request,
        details={"channel": "waitlist"},
    )
    publish(AppointmentBooked(**appointment_facts(hold, actor=actor)))
    return hold


@transaction.atomic
def waitlist_decline(
    *, actor: User, hold_public_id: uuid.UUID | str, request: HttpRequest | None = None
) -> None:
    """Turn an offer down: the patient keeps waiting for another time; the next patient is offered this one."""
    entry, offered = _entry_for_hold(actor, hold_public_id)
    held = _release_hold(offered.pk, reason="Offer declined")
    entry.status = WaitlistEntry.Status.WAITING
    entry.offered_appointment = None
    entry.save(update_fields=["status", "offered_appointment"])
    record(
        action="appointments.waitlist_declined",
        actor=actor,
        target=entry,
        patient=actor,
        request=request,
    )
    if held is not None:
        _offer_after_commit(held)


def _offer_after_commit(released: Appointment) -> None:
    # Through the outbox (core.events): a broker outage delays the next offer, never loses it.
    publish(WaitlistHoldReleased(**appointment_facts(released, actor=None)))


def waitlist_expire_holds(*, now: datetime.datetime | None = None) -> int:
    """Holds past their time go back; the patient keeps waiting; the next one is offered."""
    now = now or timezone.now()
    expired = 0
    for hold_id in Appointment.objects.filter(
        status=Status.HELD, hold_expires_at__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            held = _release_hold(hold_id, reason="Offer expired")
            if held is None:
                continue
            WaitlistEntry.objects.filter(offered_appointment=held).update(
                status=WaitlistEntry.Status.WAITING, offered_appointment=None
            )
            record(action="appointments.waitlist_offer_expired", target=held, patient=held.patient)
            _offer_after_commit(held)
            expired += 1
    return expired
