"""`manage.py notifications_sweep`: queue the deliveries that are due (what Celery beat's
sweep does every NOTIFICATIONS_SWEEP_SECONDS)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.services.sweeping import deliveries_sweep


class Command(BaseCommand):
    help = "Queue every pending delivery that is due (the periodic sweep, by hand)."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = deliveries_sweep()
        self.stdout.write(f"Queued {queued} delivery(ies).")
