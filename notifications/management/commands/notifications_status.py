"""`manage.py notifications_status`: queue depths, the oldest waiting work, recent failures."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from core.events import oldest_unhandled_age
from core.metrics_broker import broker_reading
from notifications.selectors import delivery_health


class Command(BaseCommand):
    help = (
        "Show the notification pipeline's state: broker queue depths, the oldest pending "
        "delivery and outbox row, failures in the last hour. Exit status 1 when work has waited "
        "longer than NOTIFICATIONS_BACKLOG_ALERT_SECONDS or the broker is unreachable."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="One JSON object, for scripts.")

    def handle(self, *args: Any, **options: Any) -> None:
        health = delivery_health()
        outbox_age = oldest_unhandled_age()
        broker = broker_reading()
        threshold: int = settings.NOTIFICATIONS_BACKLOG_ALERT_SECONDS
        report: dict[str, Any] = {
            "broker": None
            if broker is None
            else {
                "up": broker.up,
                "queues": {
                    name: {"messages": queue.messages, "consumers": queue.consumers}
                    for name, queue in sorted(broker.queues.items())
                },
            },
            "deliveries": {
                "pending_due": health.pending_due,
                "oldest_pending_due_seconds": _rounded(health.oldest_pending_due_seconds),
                "scheduled": health.scheduled,
                "sent_last_hour": health.sent_last_hour,
                "failed_last_hour": health.failed_last_hour,
                "by_status_last_day": health.by_status_last_day,
            },
            "outbox": {"oldest_unhandled_seconds": _rounded(outbox_age)},
            "backlog_alert_seconds": threshold,
        }
        stuck = any(
            age is not None and age > threshold
            for age in (health.oldest_pending_due_seconds, outbox_age)
        ) or (broker is not None and not broker.up)
        report["ok"] = not stuck
        if options["json"]:
            self.stdout.write(json.dumps(report, sort_keys=True))
        else:
            self._print(report)
        if stuck:
            raise SystemExit(1)

    def _print(self, report: dict[str, Any]) -> None:
        write = self.stdout.write
        broker = report["broker"]
        if broker is None:
            write("Broker: none (tasks run in-process)")
        else:
            write(f"Broker: {'up' if broker['up'] else 'UNREACHABLE'}")
            for name, queue in broker["queues"].items():
                write(
                    f"  queue {name}: {queue['messages']} waiting, {queue['consumers']} consumer(s)"
                )
        deliveries = report["deliveries"]
        write(
            f"Deliveries: {deliveries['pending_due']} due and pending "
            f"(oldest {_age(deliveries['oldest_pending_due_seconds'])}), "
            f"{deliveries['scheduled']} scheduled (reminders, quiet hours, retries)"
        )
        write(
            f"  last hour: {deliveries['sent_last_hour']} sent, "
            f"{deliveries['failed_last_hour']} failed"
        )
        write(
            "  last day by status: "
            + (
                ", ".join(f"{k} {v}" for k, v in sorted(deliveries["by_status_last_day"].items()))
                or "none"
            )
        )
        write(f"Outbox: oldest unhandled {_age(report['outbox']['oldest_unhandled_seconds'])}")
        write(
            "OK"
            if report["ok"]
            else f"ALERT: work waits longer than {report['backlog_alert_seconds']} s or the broker is down"
        )


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _age(seconds: float | None) -> str:
    return "none" if seconds is None else f"{seconds:.0f} s ago"
