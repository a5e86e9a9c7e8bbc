"""`manage.py audit_verify`: prove the audit trail was not edited, or name the first broken link."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from audit.chain import verify
from audit.models import AuditSeal


class Command(BaseCommand):
    help = (
        "Walk the audit chain from its start (or, with --resume, from the newest good signed "
        "checkpoint) and report the first link that does not hold: an edited, removed, "
        "inserted or reordered row, or a chain cut short. Exit status 1 when the chain is "
        "broken: run it periodically and alert on failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Start from the newest checkpoint whose signature and link hold.",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database alias to read (a replica keeps the walk off the primary).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        total = AuditSeal.objects.using(using).count()
        show = not options["quiet"] and total > 0
        step = max(1, total // 100)

        def progress(checked: int) -> None:
            if show and (checked % step == 0 or checked == total):
                done = min(checked, total)
                bar = "#" * (30 * done // total)
                sys.stderr.write(f"\r[{bar:<30}] {done}/{total} links")
                sys.stderr.flush()

        result = verify(resume=options["resume"], progress=progress, using=using)
        if show:
            sys.stderr.write("\n")
        if result.broken is not None:
            broken = result.broken
            event = f" (event #{broken.event_id})" if broken.event_id is not None else ""
            raise CommandError(
                f"The audit chain is broken at link {broken.position}{event}: {broken.reason}. "
                f"Links {result.started_at + 1} to {broken.position - 1} hold."
            )
        witnessed = (
            f"it reaches the checkpoint witnessed outside the database (link {result.witnessed})"
            if result.witnessed is not None
            else "no checkpoint witnessed outside the database was found to compare with"
        )
        self.stdout.write(
            f"The audit chain holds: {result.checked} links verified from link "
            f"{result.started_at + 1} to {result.last_position}; {witnessed}; "
            f"{result.unsealed} rows not linked yet."
        )
