"""Keeps messages in core.sms.outbox (tests)."""

from __future__ import annotations

from core import sms


class SmsBackend:
    def send(self, message: sms.SmsMessage) -> None:
        sms.outbox.append(message)
