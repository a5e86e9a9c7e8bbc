"""Appends messages to var/sms-outbox.jsonl (development); `manage.py sms_outbox` shows them."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings

from core.sms import SmsMessage


def outbox_path() -> Path:
    return Path(settings.VAR_DIR) / "sms-outbox.jsonl"


class SmsBackend:
    def send(self, message: SmsMessage) -> None:
        path = outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as outbox:
            outbox.write(
                json.dumps(
                    {"to": message.to, "body": message.body, "sent_at": message.sent_at.isoformat()}
                )
                + "\n"
            )
