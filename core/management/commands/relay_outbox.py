"""`manage.py relay_outbox`: send the outbox rows that are due now (what Celery beat's sweep does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from core import events
from core.models import OutboxMessage


class Command(BaseCommand):
    help = "Send the outbox rows that are due to the broker (the periodic sweep, by hand)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            action="store_true",
            help="Also send rows never accepted by the broker that still wait out their backoff "
            "(the outage is known to be over).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            OutboxMessage.objects.filter(
                handled_at__isnull=True, dispatched_at__isnull=True
            ).update(next_attempt_at=timezone.now())
        sent = events.relay()
        pending = OutboxMessage.objects.filter(handled_at__isnull=True).count()
        self.stdout.write(f"Sent {sent} outbox message(s); {pending} not handled yet.")
