from __future__ import annotations

from typing import Protocol

from core.sms import SmsMessage


class BaseSmsBackend(Protocol):
    def send(self, message: SmsMessage) -> None:
        """Deliver the message or raise SmsDeliveryError."""
