"""`manage.py audit_seal`: link the audit rows written since the last run into the chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.chain import seal_pending


class Command(BaseCommand):
    help = (
        "Link every audit row not yet in the tamper-evident chain, in sequence order, and "
        "write signed checkpoints. Safe to run from several places: one sealer at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="Links per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        run = seal_pending(batch=options["batch"])
        self.stdout.write(
            f"Linked {run.linked} audit rows, {run.checkpoints} checkpoints; "
            f"the chain now has {run.last_position} links."
        )
