"""Outgoing SMS through one small adapter interface, like Django's email backends.

``SMS_BACKEND`` picks the backend: ``twilio`` in production, ``file`` (var/sms-outbox.jsonl,
read with ``manage.py sms_outbox``) in development, ``locmem`` in tests (``core.sms.outbox``).
A send returns the provider's id for the message (Twilio: the message SID), which status
callbacks carry back.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from core.sms.backends.base import BaseSmsBackend


@dataclass(frozen=True)
class SmsMessage:
    to: str
    body: str
    # Where the provider posts delivery status updates; empty: no callback.
    status_callback: str = ""
    sent_at: datetime = field(default_factory=lambda: datetime.now(tz=UTC))


@dataclass(frozen=True, kw_only=True)
class SentSms(SmsMessage):
    """A message the backend accepted, with the provider's id for it."""

    provider_message_id: str

    @classmethod
    def of(cls, message: SmsMessage, *, provider_message_id: str) -> SentSms:
        return cls(
            **{f.name: getattr(message, f.name) for f in dataclasses.fields(SmsMessage)},
            provider_message_id=provider_message_id,
        )


class SmsDeliveryError(Exception):
    """The provider refused or could not be reached; the message was not sent.

    ``transient`` says whether trying again later may succeed (connection errors, timeouts,
    HTTP 5xx and 429) or not (a refusal such as an invalid number, missing configuration).
    The message never holds the SMS body, which may be a one-time code.
    """

    def __init__(self, message: str, transient: bool, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.status_code = status_code


# Messages "sent" through the locmem backend, like django.core.mail.outbox.
outbox: list[SentSms] = []


def get_backend() -> BaseSmsBackend:
    """A new instance of the backend that ``SMS_BACKEND`` names."""
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(*, to: str, body: str, status_callback: str = "") -> SentSms:
    """Send one SMS to an E.164 number through the configured backend.

    Returns the message with the provider's id for it; raises SmsDeliveryError when the
    provider refused the message or could not be reached.
    """
    message = SmsMessage(to=to, body=body, status_callback=status_callback)
    provider_message_id = get_backend().send(message)
    return SentSms.of(message, provider_message_id=provider_message_id)


def twilio_signature_valid(*, url: str, params: dict[str, str], signature: str) -> bool:
    """Whether ``signature`` (the X-Twilio-Signature header) is Twilio's signature of a
    webhook request to ``url`` with the POST ``params``, made with TWILIO_AUTH_TOKEN.

    False when TWILIO_AUTH_TOKEN is not configured or the signature is empty. ``url`` must
    be the full URL Twilio requested (scheme, host, path and query as Twilio saw them).
    """
    from twilio.request_validator import RequestValidator  # only webhooks need it

    auth_token: str = settings.TWILIO_AUTH_TOKEN
    if not auth_token or not signature:
        return False
    # RequestValidator has no annotations: the ignores below are for that alone.
    validator = RequestValidator(auth_token)  # type: ignore[no-untyped-call]
    return bool(validator.validate(url, params, signature))  # type: ignore[no-untyped-call]
