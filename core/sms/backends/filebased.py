"""Appends messages to var/sms-outbox.jsonl (development); `manage.py sms_outbox` shows them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings

from core.sms import SmsMessage


def outbox_path() -> Path:
    return Path(settings.VAR_DIR) / "sms-outbox.jsonl"


class SmsBackend:
    def send(self, message: SmsMessage) -> str:
        provider_message_id = f"file-{uuid.uuid4().hex}"
        path = outbox_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as outbox:
            outbox.write(
                json.dumps(
                    {
                        "id": provider_message_id,
                        "to": message.to,
                        "body": message.body,
                        "status_callback": message.status_callback,
                        "sent_at": message.sent_at.isoformat(),
                    }
                )
                + "\n"
            )
        return provider_message_id
