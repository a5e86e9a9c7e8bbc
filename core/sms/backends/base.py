from __future__ import annotations

from typing import Protocol

from core.sms import SmsMessage


class BaseSmsBackend(Protocol):
    def send(self, message: SmsMessage) -> str:
        """Deliver the message and return the provider's id for it, or raise
        SmsDeliveryError."""
