"""`manage.py audit_seal`: link the audit rows written since the last run into the chain."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit import witness
from audit.chain import seal_pending
from audit.models import AuditCheckpoint
from audit.services import AuditTarget, record


class Command(BaseCommand):
    help = (
        "Link every audit row not yet in the tamper-evident chain, in sequence order, and "
        "write signed checkpoints. Safe to run from several places: one sealer at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="Links per transaction.")
        parser.add_argument(
            "--witness-newest",
            action="store_true",
            help="After restoring a backup (older than the witness outside the database): "
            "make the database's newest checkpoint the witnessed one. Recorded in the audit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["witness_newest"]:
            self._witness_newest()
            return
        run = seal_pending(batch=options["batch"])
        self.stdout.write(
            f"Linked {run.linked} audit rows, {run.checkpoints} checkpoints; "
            f"the chain now has {run.last_position} links."
        )

    def _witness_newest(self) -> None:
        newest = AuditCheckpoint.objects.order_by("-position").first()
        if newest is None:
            raise CommandError("The chain has no checkpoint yet: run audit_seal first.")
        before = witness.newest()
        record(
            action="audit.witness_reset",
            target=AuditTarget("audit.checkpoint", str(newest.position)),
            details={
                "from_position": before.position if before is not None else None,
                "to_position": newest.position,
            },
        )
        witness.publish(
            witness.Witnessed(newest.position, newest.hash, newest.key_id, newest.signature),
            replace=True,
        )
        was = f"link {before.position}" if before is not None else "nothing"
        self.stdout.write(f"The witnessed checkpoint is now link {newest.position} (it was {was}).")
