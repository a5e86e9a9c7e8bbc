"""Keeps messages in core.sms.outbox (tests)."""

from __future__ import annotations

import uuid

from core import sms


class SmsBackend:
    def send(self, message: sms.SmsMessage) -> str:
        sent = sms.SentSms.of(message, provider_message_id=f"locmem-{uuid.uuid4().hex}")
        sms.outbox.append(sent)
        return sent.provider_message_id
