"""What each domain event tells whom (registered in AppConfig.ready).

The handlers run from the transactional outbox (core.events): in a worker, inside the
transaction that marks their outbox row handled; the deliveries they write commit with that
mark, and each delivery's key is unique, so a redelivered event makes no second message.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.events import (
    AccountDeactivated,
    AccountSecurityEvent,
    FactorAdded,
    FactorRemoved,
    NewDeviceSignedIn,
    PasswordChanged,
    RecoveryCodeUsed,
    SignInEmailChanged,
)
from accounts.models import User
from accounts.selectors.sessions import session_device_label
from accounts.selectors.users import user_by_public_id
from appointments.events import (
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentEvent,
    AppointmentRescheduled,
    AppointmentStatusChanged,
    WaitlistSlotOffered,
)
from appointments.selectors.messaging import (
    AppointmentMessageFacts,
    appointment_message_facts,
    appointment_status_and_start,
)
from core.events import event_name, event_payload, subscribe
from core.local_time import zone_named
from notifications.models import Channel, Delivery
from notifications.services.dispatch import absolute_url, dedupe_digest, notify
from notifications.services.sending import register_relevance_check


def _event_key(event: object) -> str:
    return dedupe_digest(event_name(type(event)), sorted(event_payload(event).items()))


def _topic(appointment_id: uuid.UUID) -> str:
    return f"appointment:{appointment_id}"


def _appointment_context(facts: AppointmentMessageFacts, event: AppointmentEvent) -> dict[str, Any]:
    # The event's times: what was true when it happened, even if the appointment moved since.
    return {
        "type_name": facts.type_name,
        "clinician_name": facts.practitioner_name,
        "department_name": facts.department_name,
        "start": event.start,
        "end": event.end,
        "booking_link": absolute_url(reverse("appointments:book")),
    }


def _patient_link(appointment_id: uuid.UUID) -> str:
    return reverse("appointments:detail", args=[appointment_id])


def _actor_is(user: User, actor_id: uuid.UUID | None) -> bool:
    return actor_id is not None and user.public_id == actor_id


@subscribe(AppointmentBooked)
def tell_of_a_booking(event: AppointmentBooked) -> None:
    facts = appointment_message_facts(public_id=event.appointment_id)
    if facts is None:
        return
    key = _event_key(event)
    notify(
        kind="appointment.booked",
        user=facts.patient,
        patient=facts.patient,
        context=_appointment_context(facts, event),
        key=key,
        link=_patient_link(event.appointment_id),
        topic=_topic(event.appointment_id),
    )
    _schedule_reminders(facts, event)
    _tell_the_clinician(facts, event, change="booked", key=key)


@subscribe(AppointmentRescheduled)
def tell_of_a_move(event: AppointmentRescheduled) -> None:
    facts = appointment_message_facts(public_id=event.appointment_id)
    if facts is None:
        return
    key = _event_key(event)
    _cancel_pending_reminders(event.appointment_id, reason="the appointment moved")
    notify(
        kind="appointment.moved",
        user=facts.patient,
        patient=facts.patient,
        context={**_appointment_context(facts, event), "previous_start": event.previous_start},
        key=key,
        link=_patient_link(event.appointment_id),
        topic=_topic(event.appointment_id),
    )
    _schedule_reminders(facts, event)
    _tell_the_clinician(facts, event, change="moved", key=key)


@subscribe(AppointmentCancelled)
def tell_of_a_cancellation(event: AppointmentCancelled) -> None:
    facts = appointment_message_facts(public_id=event.appointment_id)
    if facts is None:
        return
    key = _event_key(event)
    _cancel_pending_reminders(event.appointment_id, reason="the appointment was cancelled")
    notify(
        kind="appointment.cancelled",
        user=facts.patient,
        patient=facts.patient,
        context={
            **_appointment_context(facts, event),
            "by_staff": event.by_staff,
            # Staff's reason is administrative and shown to the patient; a patient's own
            # words are not repeated back (they may be clinical).
            "reason": facts.cancellation_reason if event.by_staff else "",
        },
        key=key,
        link=_patient_link(event.appointment_id),
        topic=_topic(event.appointment_id),
    )
    _tell_the_clinician(facts, event, change="cancelled", key=key)


@subscribe(AppointmentStatusChanged)
def tell_of_a_status(event: AppointmentStatusChanged) -> None:
    kind = {"checked_in": "appointment.checked_in", "no_show": "appointment.no_show"}.get(
        event.status
    )
    if kind is None:
        return
    facts = appointment_message_facts(public_id=event.appointment_id)
    if facts is None:
        return
    if kind == "appointment.no_show":
        _cancel_pending_reminders(event.appointment_id, reason="recorded as a no-show")
    notify(
        kind=kind,
        user=facts.patient,
        patient=facts.patient,
        context=_appointment_context(facts, event),
        key=_event_key(event),
        link=_patient_link(event.appointment_id),
        topic=_topic(event.appointment_id),
    )


@subscribe(WaitlistSlotOffered)
def tell_of_a_waitlist_offer(event: WaitlistSlotOffered) -> None:
    facts = appointment_message_facts(public_id=event.appointment_id)
    if facts is None:
        return
    waitlist = reverse("appointments:waitlist")
    notify(
        kind="waitlist.offer",
        user=facts.patient,
        patient=facts.patient,
        context={
            **_appointment_context(facts, event),
            "hold_expires_at": event.hold_expires_at,
            "accept_link": absolute_url(f"{waitlist}#offer-{event.appointment_id}"),
        },
        key=_event_key(event),
        link=f"{waitlist}#offer-{event.appointment_id}",
        topic=f"hold:{event.appointment_id}",
    )


# --- Reminders -----------------------------------------------------------------------------


def _reminder_hours(facts: AppointmentMessageFacts) -> list[int]:
    if facts.reminder_hours_before is not None:
        return list(facts.reminder_hours_before)
    return list(settings.NOTIFICATIONS_DEFAULT_REMINDER_HOURS)


def _schedule_reminders(facts: AppointmentMessageFacts, event: AppointmentEvent) -> None:
    """One reminder per configured hour before the start, due at that time; none whose time
    has passed already (a booking made 3 hours ahead gets the 2-hour one only)."""
    now = timezone.now()
    for hours in sorted(set(_reminder_hours(facts)), reverse=True):
        due = event.start - datetime.timedelta(hours=hours)
        if due <= now:
            continue
        notify(
            kind="appointment.reminder",
            user=facts.patient,
            patient=facts.patient,
            context={**_appointment_context(facts, event), "hours_before": hours},
            key=dedupe_digest(event.appointment_id, event.start.isoformat(), hours),
            link=_patient_link(event.appointment_id),
            topic=_topic(event.appointment_id),
            due_at=due,
        )


def _cancel_pending_reminders(appointment_id: uuid.UUID, *, reason: str) -> None:
    now = timezone.now()
    Delivery.objects.filter(
        topic=_topic(appointment_id),
        kind="appointment.reminder",
        status=Delivery.Status.PENDING,
    ).update(status=Delivery.Status.CANCELLED, status_changed_at=now, last_error=reason)


def _reminder_still_applies(delivery: Delivery) -> str | None:
    """Sent only for a booked appointment still at the time the reminder names (a moved
    appointment has reminders of its own)."""
    appointment_id = uuid.UUID(delivery.topic.partition(":")[2])
    current = appointment_status_and_start(public_id=appointment_id)
    if current is None:
        return "the appointment no longer exists"
    status, start = current
    if status != "booked":
        return f"the appointment is {status}"
    named = delivery.context.get("start")
    if not isinstance(named, str) or datetime.datetime.fromisoformat(named) != start:
        return "the appointment moved"
    return None


def _offer_still_applies(delivery: Delivery) -> str | None:
    """A waitlist offer whose hold has ended (taken, declined, expired) is not sent late."""
    appointment_id = uuid.UUID(delivery.topic.partition(":")[2])
    current = appointment_status_and_start(public_id=appointment_id)
    if current is None or current[0] != "held":
        return "the offer is no longer open"
    expires = delivery.context.get("hold_expires_at")
    if isinstance(expires, str) and datetime.datetime.fromisoformat(expires) <= timezone.now():
        return "the offer expired"
    return None


register_relevance_check("appointment.reminder", _reminder_still_applies)
register_relevance_check("waitlist.offer", _offer_still_applies)


# --- Staff ---------------------------------------------------------------------------------


def _tell_the_clinician(
    facts: AppointmentMessageFacts, event: AppointmentEvent, *, change: str, key: str
) -> None:
    """A booking, move or cancellation by someone else on the clinician's today or tomorrow
    (in their own zone) changes the day they are about to work."""
    clinician = facts.practitioner_user
    if _actor_is(clinician, event.actor_id):
        return
    zone = zone_named(facts.practitioner_zone)
    today = timezone.now().astimezone(zone).date()
    days = {today, today + datetime.timedelta(days=1)}
    affected = {event.start.astimezone(zone).date()}
    if isinstance(event, AppointmentRescheduled):
        affected.add(event.previous_start.astimezone(zone).date())
    if not affected & days:
        return
    patient = facts.patient
    initial = (patient.full_name or "?")[:1]
    surname = patient.full_name.rsplit(" ", 1)[-1] if patient.full_name else "patient"
    notify(
        kind="schedule.changed",
        user=clinician,
        patient=patient,
        context={
            **_appointment_context(facts, event),
            "change": change,
            # Enough to recognise the visit on the schedule, not a full identity in a mail.
            "patient_label": f"{initial}. {surname}",
            "time_zone": zone.key,
        },
        key=key,
        link=reverse("appointments:schedule"),
        topic=_topic(event.appointment_id),
    )


# --- Account security ------------------------------------------------------------------------

_FACTOR_NAMES = {
    "totp": "an authenticator app",
    "sms": "a phone for text-message sign-in",
    "passkey": "a passkey",
    "recovery": "a set of recovery codes",
}


def _tell_the_owner(
    event: AccountSecurityEvent, kind: str, channels: tuple[str, ...] | None = None, **context: Any
) -> None:
    user = user_by_public_id(public_id=event.user_id)
    if user is None:
        return
    notify(
        kind=kind,
        user=user,
        context={"at": event.at, **context},
        key=_event_key(event),
        link=reverse("accounts:security"),
        channels=channels,
    )


@subscribe(NewDeviceSignedIn)
def tell_of_a_new_device(event: NewDeviceSignedIn) -> None:
    _tell_the_owner(
        event, "security.new_sign_in", device=session_device_label(public_id=event.session_id)
    )


@subscribe(PasswordChanged)
def tell_of_a_new_password(event: PasswordChanged) -> None:
    _tell_the_owner(event, "security.password_changed")


@subscribe(SignInEmailChanged)
def tell_of_a_new_address(event: SignInEmailChanged) -> None:
    # The old address was emailed when the change was made (allauth; the staff's change):
    # the new one learns nothing new by email; the app says it.
    _tell_the_owner(event, "security.email_changed", channels=(Channel.IN_APP,))


@subscribe(FactorAdded)
def tell_of_a_new_factor(event: FactorAdded) -> None:
    _tell_the_owner(
        event, "security.factor_added", factor=_FACTOR_NAMES.get(event.method, "a sign-in method")
    )


@subscribe(FactorRemoved)
def tell_of_a_removed_factor(event: FactorRemoved) -> None:
    _tell_the_owner(
        event, "security.factor_removed", factor=_FACTOR_NAMES.get(event.method, "a sign-in method")
    )


@subscribe(RecoveryCodeUsed)
def tell_of_a_recovery_code(event: RecoveryCodeUsed) -> None:
    _tell_the_owner(event, "security.recovery_code_used")


@subscribe(AccountDeactivated)
def tell_of_a_deactivation(event: AccountDeactivated) -> None:
    # By email only: the account can no longer open the app.
    _tell_the_owner(event, "security.account_deactivated", channels=(Channel.EMAIL,))
