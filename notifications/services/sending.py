"""Sending one delivery, once.

The worker locks the delivery's row (``SELECT ... FOR UPDATE SKIP LOCKED``) for the whole
send and marks it sent in the same transaction, so:
- a second task for the same delivery (a duplicate, a redelivery, the sweep's) finds it
  locked, or no longer pending, and does nothing;
- a worker that dies before the commit leaves the row pending and unlocked (PostgreSQL ends
  the dead connection's transaction) and the requeued task sends it;
- SMTP is sent in two steps around the commit (core.mail.smtp): a worker killed before the
  commit leaves the server inside DATA, which discards the message, so the resend is the only
  copy. HTTP providers (SendGrid, Twilio) accept a message in one request: a worker killed
  in the instant between their answer and the commit sends that message again.

A failure that may pass (a connection refused, a timeout, a 4xx SMTP answer, a provider's
5xx or 429) is retried with exponential backoff and jitter by the sweep, up to
``NOTIFICATIONS_MAX_ATTEMPTS``; a refusal for good (a 5xx SMTP answer, an invalid number) and
the last failed attempt leave the delivery failed, on the admin's dead-letter list.
"""

from __future__ import annotations

import datetime
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from audit.access import viewed
from core.mail.smtp import SmtpRefused
from notifications import catalog
from notifications.models import Channel, Delivery
from notifications.services import dispatch, push
from notifications.services.rendering import render_message

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """A send failed; ``permanent`` when trying again cannot help."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Transmission(Protocol):
    """A send in two steps: ``stage`` before the delivery is marked sent (everything that may
    fail), ``complete`` after the commit (SMTP's final "."; nothing for the others)."""

    provider_message_id: str

    def stage(self) -> None: ...

    def complete(self) -> None: ...

    def abort(self) -> None: ...


# --- When a delivery no longer applies ----------------------------------------------------

# topic prefix -> check(delivery) -> why it no longer applies, or None. Registered by the
# modules that make such messages (notifications.subscribers).
_STILL_APPLIES: dict[str, Callable[[Delivery], str | None]] = {}


def register_relevance_check(kind: str, check: Callable[[Delivery], str | None]) -> None:
    _STILL_APPLIES[kind] = check


# --- Sending ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, retry, failed, cancelled, skipped
    detail: str = ""


def delivery_send(*, delivery_id: int) -> Outcome:
    """Send delivery ``delivery_id`` if it is pending and due; see the module's docstring."""
    transmission: Transmission | None = None
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=delivery_id, status=Delivery.Status.PENDING)
            .first()
        )
        now = timezone.now()
        if delivery is None:
            return Outcome("skipped", "not pending, or being sent by another worker")
        if delivery.next_attempt_at > now + datetime.timedelta(seconds=1):
            return Outcome("skipped", "not due yet")
        stale = _why_not_any_more(delivery)
        if stale:
            _set_status(delivery, Delivery.Status.CANCELLED, now=now, error=stale)
            return Outcome("cancelled", stale)
        delivery.attempts += 1
        try:
            transmission = _transmission_for(delivery)
            # Recorded before it leaves (a failure to record sends nothing); a savepoint,
            # so a send that fails leaves no row claiming it went.
            with transaction.atomic():
                _disclosed(delivery)
                transmission.stage()
        except DeliveryFailed as failure:
            return _failed(delivery, failure, now=now)
        _mark_sent(delivery, transmission.provider_message_id, now=now)
    # Committed: the delivery is sent as far as the database knows.
    try:
        transmission.complete()
    except DeliveryFailed as failure:
        with transaction.atomic():
            delivery = Delivery.objects.select_for_update().get(pk=delivery_id)
            if delivery.status != Delivery.Status.SENT:
                return Outcome("skipped", "changed meanwhile")
            return _failed(delivery, failure, now=timezone.now())
    return Outcome("sent", transmission.provider_message_id)


def _disclosed(delivery: Delivery) -> None:
    """An email or a text about a patient's appointment: a read of their record by the
    recipient, committed with the delivery marked sent (in-app messages are recorded where
    they are shown: the inbox, the socket)."""
    if delivery.patient_id is None or delivery.channel == Channel.IN_APP:
        return
    viewed(
        patients=[delivery.patient_id],
        target=delivery,
        actor=delivery.recipient,
        surface=delivery.channel,
    )


def _why_not_any_more(delivery: Delivery) -> str | None:
    check = _STILL_APPLIES.get(delivery.kind)
    if check is not None:
        reason = check(delivery)
        if reason:
            return reason
    recipient = delivery.recipient
    if recipient is not None and not recipient.is_active and delivery.category != "security":
        return "the account is deactivated"
    return None


def _mark_sent(delivery: Delivery, provider_message_id: str, *, now: datetime.datetime) -> None:
    delivery.status = Delivery.Status.SENT
    delivery.sent_at = delivery.status_changed_at = now
    delivery.provider_message_id = provider_message_id[:200]
    delivery.last_error = ""
    # A message written by its author may hold a one-time link: not kept once it left.
    delivery.body_text = delivery.body_html = ""
    delivery.save(
        update_fields=[
            "status",
            "attempts",
            "sent_at",
            "status_changed_at",
            "provider_message_id",
            "last_error",
            "body_text",
            "body_html",
        ]
    )


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff with up to a fifth more at random, after ``attempts`` failures."""
    base: int = settings.NOTIFICATIONS_RETRY_BASE_SECONDS
    ceiling: int = settings.NOTIFICATIONS_RETRY_MAX_SECONDS
    delay = min(ceiling, base * 2 ** max(0, attempts - 1))
    return datetime.timedelta(seconds=delay * (1 + random.random() / 5))  # noqa: S311 - jitter


def _failed(delivery: Delivery, failure: DeliveryFailed, *, now: datetime.datetime) -> Outcome:
    reason = str(failure)[:500]
    if failure.permanent or delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        _set_status(delivery, Delivery.Status.FAILED, now=now, error=reason)
        logger.error(
            "Delivery %s (%s by %s) failed after %s attempts: %s",
            delivery.pk,
            delivery.kind,
            delivery.channel,
            delivery.attempts,
            reason,
        )
        return Outcome("failed", reason)
    delivery.status = Delivery.Status.PENDING
    delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    delivery.last_error = reason
    # Not queued now: the sweep queues it when it is due.
    delivery.queued_at = None
    delivery.save(
        update_fields=["status", "attempts", "next_attempt_at", "last_error", "queued_at"]
    )
    logger.warning(
        "Delivery %s (%s by %s) attempt %s failed, next at %s: %s",
        delivery.pk,
        delivery.kind,
        delivery.channel,
        delivery.attempts,
        delivery.next_attempt_at.isoformat(),
        reason,
    )
    return Outcome("retry", reason)


def _set_status(
    delivery: Delivery, status: str, *, now: datetime.datetime, error: str = ""
) -> None:
    delivery.status = status
    delivery.status_changed_at = now
    delivery.last_error = error[:500]
    fields = ["status", "status_changed_at", "last_error", "attempts"]
    if status in (Delivery.Status.FAILED, Delivery.Status.CANCELLED):
        delivery.body_text = delivery.body_html = ""
        fields += ["body_text", "body_html"]
    delivery.save(update_fields=fields)


# --- Channels --------------------------------------------------------------------------------


def _transmission_for(delivery: Delivery) -> Transmission:
    if delivery.channel == Channel.EMAIL:
        return EmailTransmission(delivery)
    if delivery.channel == Channel.SMS:
        return SmsTransmission(delivery)
    return PushTransmission(delivery)


def email_message_of(delivery: Delivery) -> EmailMultiAlternatives:
    if delivery.kind == catalog.MAIL_KIND:  # written by its author (the mail queue)
        subject, text, html = delivery.subject, delivery.body_text, delivery.body_html
    else:
        rendered = render_message(
            kind=delivery.kind,
            channel=Channel.EMAIL,
            language=delivery.language,
            context=delivery.context,
        )
        subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{rendered.subject}"
        text, html = rendered.text, rendered.html
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[delivery.address],
        reply_to=[delivery.reply_to] if delivery.reply_to else None,
        headers={"Message-ID": message_id_of(delivery)},
    )
    if html:
        message.attach_alternative(html, "text/html")
    # SendGrid's event webhook carries these back (notifications.webhooks).
    message.custom_args = {"delivery": str(delivery.public_id)}  # type: ignore[attr-defined]
    return message


def message_id_of(delivery: Delivery) -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "hospital.invalid"
    return f"<{delivery.public_id}@{domain}>"


class EmailTransmission:
    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.provider_message_id = message_id_of(delivery)
        self._staged: object | None = None

    def stage(self) -> None:
        try:
            message = email_message_of(self.delivery)
            backend = get_connection(settings.NOTIFICATIONS_EMAIL_TRANSPORT, fail_silently=False)
            stage_message = getattr(backend, "stage_message", None)
            if stage_message is not None:
                self._staged = stage_message(message)
                return
            backend.send_messages([message])
            self.provider_message_id = (
                getattr(message, "provider_message_id", "") or self.provider_message_id
            )
        except SmtpRefused as refusal:
            raise DeliveryFailed(str(refusal), permanent=refusal.permanent) from None
        except Exception as error:  # every backend's own errors: see transient_failure
            raise _classified(error) from None

    def complete(self) -> None:
        staged = self._staged
        if staged is None:
            return
        try:
            reply = staged.complete()  # type: ignore[attr-defined]
        except SmtpRefused as refusal:
            raise DeliveryFailed(str(refusal), permanent=refusal.permanent) from None
        except Exception as error:
            raise _classified(error) from None
        logger.info(
            "Delivery %s accepted by the SMTP server: %s", self.delivery.pk, str(reply)[:120]
        )

    def abort(self) -> None:
        staged = self._staged
        if staged is not None:
            staged.abort()  # type: ignore[attr-defined]


class SmsTransmission:
    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.provider_message_id = ""

    def stage(self) -> None:
        from core.sms import send_sms

        try:
            rendered = render_message(
                kind=self.delivery.kind,
                channel=Channel.SMS,
                language=self.delivery.language,
                context=self.delivery.context,
            )
            sent = send_sms(
                to=self.delivery.address,
                body=rendered.text,
                status_callback=_sms_status_callback_url(),
            )
        except Exception as error:
            raise _classified(error) from None
        self.provider_message_id = sent.provider_message_id

    def complete(self) -> None:
        return None

    def abort(self) -> None:
        return None


def _sms_status_callback_url() -> str:
    if not settings.TWILIO_STATUS_CALLBACKS:
        return ""
    return dispatch.absolute_url("/webhooks/twilio/status/")


class PushTransmission:
    """The in-app message: stored under the bell (if not yet), then pushed to the person's
    open pages and apps over WebSockets after the commit."""

    def __init__(self, delivery: Delivery) -> None:
        self.delivery = delivery
        self.provider_message_id = delivery.provider_message_id

    def stage(self) -> None:
        if self.delivery.notification_id is None:
            try:
                notification = dispatch.notification_create(
                    delivery=self.delivery,
                    link=_path_of(str(self.delivery.context.get("link", ""))),
                )
            except Exception as error:  # a template that does not render: retried, then failed
                raise _classified(error) from None
            self.delivery.notification = notification
            self.delivery.save(update_fields=["notification"])
            self.provider_message_id = str(notification.public_id)

    def complete(self) -> None:
        notification = self.delivery.notification
        if notification is not None:
            # A channel layer that is down loses only the live push: the message is under
            # the bell, and the page asks for the unread count when it reconnects.
            push.notification_push(notification=notification)

    def abort(self) -> None:
        return None


def _path_of(url: str) -> str:
    base = settings.HOSPITAL_PUBLIC_URL
    return url[len(base) :] if url.startswith(base) else ""


def _classified(error: Exception) -> DeliveryFailed:
    """A provider's or a connection's error as a failure that may pass or not."""
    transient = getattr(error, "transient", None)
    if transient is None:
        # Connection refused, timeouts, an SMTP server that hung up, DNS: worth another try.
        transient = True
    return DeliveryFailed(f"{type(error).__name__}: {error}"[:500], permanent=not transient)
