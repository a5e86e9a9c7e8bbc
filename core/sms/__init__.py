"""Outgoing SMS through one small adapter interface, like Django's email backends.

``SMS_BACKEND`` picks the backend: ``twilio`` in production, ``file`` (var/sms-outbox.jsonl,
read with ``manage.py sms_outbox``) in development, ``locmem`` in tests (``core.sms.outbox``).
"""

from __future__ import annotations

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
    sent_at: datetime = field(default_factory=lambda: datetime.now(tz=UTC))


class SmsDeliveryError(Exception):
    """The provider refused or could not be reached; the message was not sent."""


# Messages "sent" through the locmem backend, like django.core.mail.outbox.
outbox: list[SmsMessage] = []


def get_backend() -> BaseSmsBackend:
    """A new instance of the backend that ``SMS_BACKEND`` names."""
    backend: BaseSmsBackend = import_string(settings.SMS_BACKEND)()
    return backend


def send_sms(*, to: str, body: str) -> SmsMessage:
    """Send one SMS to an E.164 number through the configured backend."""
    message = SmsMessage(to=to, body=body)
    get_backend().send(message)
    return message
