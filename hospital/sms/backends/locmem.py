"""Keeps messages in hospital.sms.outbox (tests)."""

from __future__ import annotations

from hospital import sms


class SmsBackend:
    def send(self, message: sms.SmsMessage) -> None:
        sms.outbox.append(message)
