"""`manage.py sms_outbox`: the latest SMS of the file backend (development)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from core.sms.backends.filebased import outbox_path


class Command(BaseCommand):
    help = "Show the latest SMS sent through the file backend (SMS_BACKEND=file)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--last", type=int, default=10, help="How many messages to show.")
        parser.add_argument("--to", default="", help="Only messages to this E.164 number.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = outbox_path()
        if not path.exists():
            self.stdout.write("No SMS has been sent yet.")
            return
        lines = path.read_text(encoding="utf-8").splitlines()
        messages = [json.loads(line) for line in lines if line.strip()]
        if options["to"]:
            messages = [m for m in messages if m["to"] == options["to"]]
        for message in messages[-options["last"] :]:
            self.stdout.write(f"{message['sent_at']}  to {message['to']}: {message['body']}")
