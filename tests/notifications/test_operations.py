"""What an operator has: `manage.py notifications_status`, the readiness check that fails when
work waits too long, and the sweep by hand."""

from __future__ import annotations

import datetime
import io
import json
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


def queued_mail(subject: str = "Hello") -> Delivery:
    with transaction.atomic():
        mail.send_mail(subject, "Body.", None, ["someone@example.org"])
    return Delivery.objects.latest("pk")


@pytest.fixture
def mail_queue(settings):
    settings.EMAIL_BACKEND = "notifications.mail.QueuedEmailBackend"


def status(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("notifications_status", *args, stdout=out)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_status_reports_pending_work_failures_and_says_ok(mail_queue):
    pending = queued_mail()  # on_commit never ran in this test's transaction: still pending
    failed = queued_mail("Failed")
    Delivery.objects.filter(pk=failed.pk).update(
        status="failed", status_changed_at=timezone.now(), last_error="SMTP 550"
    )

    code, text = status()
    code_json, raw = status("--json")

    assert code == code_json == 0
    report = json.loads(raw)
    assert report["ok"] is True
    assert report["deliveries"]["pending_due"] == 1
    assert report["deliveries"]["failed_last_hour"] == 1
    assert report["deliveries"]["by_status_last_day"] == {"pending": 1, "failed": 1}
    assert "1 due and pending" in text and "1 failed" in text
    assert pending.status == "pending"


def test_status_and_readiness_fail_when_work_waits_too_long(mail_queue, client, settings):
    settings.CELERY_BROKER_URL = ""  # no broker probe; the backlog alone
    queued_mail()

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11)):
        code, raw = status("--json")

    assert code == 1
    assert json.loads(raw)["ok"] is False


def test_readiness_fails_on_an_old_outbox_row_or_delivery(mail_queue, settings):
    from hospital.readiness import BacklogTooOld, _check_backlog

    settings.NOTIFICATIONS_BACKLOG_ALERT_SECONDS = 600
    _check_backlog()  # nothing waits

    OutboxMessage.objects.create(
        event_type="x",
        handler="y",
        payload={},
        created_at=timezone.now() - datetime.timedelta(minutes=11),
    )
    with pytest.raises(BacklogTooOld, match="outbox"):
        _check_backlog()

    OutboxMessage.objects.all().delete()
    delivery = queued_mail()
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    with pytest.raises(BacklogTooOld, match="deliveries"):
        _check_backlog()


@pytest.mark.services("CELERY_BROKER_URL")
def test_readyz_names_the_backlog_when_work_waits(client, settings, mail_queue):
    delivery = queued_mail()
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(hours=1)
    )

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["backlog"] == {
        **response.json()["checks"]["backlog"],
        "ok": False,
        "error": "BacklogTooOld",
    }


def test_the_sweep_by_hand_sends_what_is_due(mail_queue, django_capture_on_commit_callbacks):
    delivery = queued_mail()  # its task was never queued (no commit ran in this test)
    Delivery.objects.filter(pk=delivery.pk).update(queued_at=None)
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("notifications_sweep", stdout=out)

    assert "Queued 1" in out.getvalue()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert [m.subject for m in mail.outbox] == ["Hello"]
    assert delivery.body_text == ""  # the body is not kept once sent


@pytest.mark.services("CELERY_BROKER_URL")
def test_each_send_task_lands_in_its_channels_queue_only(settings):
    """A kombu Queue given only a name is bound to the default exchange and routing key, so a
    message would reach every queue (and each task run once per queue): each queue has an
    exchange and a key of its own."""
    from kombu import Connection

    from hospital.celery import app
    from notifications import tasks

    names = [queue.name for queue in app.conf.task_queues]
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
    app.control.purge()
    try:
        tasks.send_email.apply_async((999_999,))
        tasks.send_sms.apply_async((999_999,))
        tasks.send_push.apply_async((999_999,))
        tasks.sweep.apply_async()
        depths: dict[str, int] = {}
        with Connection(settings.CELERY_BROKER_URL) as connection:
            for name in names:
                channel: Any = connection.channel()
                try:
                    depths[name] = channel.queue_declare(queue=name, passive=True)[1]
                except connection.channel_errors:
                    depths[name] = 0
                finally:
                    channel.close()
    finally:
        app.control.purge()
        settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True

    prefix = settings.CELERY_QUEUE_PREFIX
    assert depths == {f"{prefix}{name}": 1 for name in ("default", "email", "sms", "push")}
