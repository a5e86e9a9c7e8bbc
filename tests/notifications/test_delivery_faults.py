"""Every message arrives exactly once, counted at a real SMTP server, through RabbitMQ and real
Celery worker processes, whatever fails on the way: the mail server away for 30 seconds, the
worker killed with SIGKILL in the middle of a batch, the broker unreachable when the change
commits, the same task delivered twice."""

from __future__ import annotations

import collections
import datetime
import re
import time
import zoneinfo

import pytest
from django.core import mail
from django.db import transaction
from rest_framework.test import APIClient

from accounts.models import PatientProfile, User
from appointments.services import booking
from hospital.celery import app
from notifications import tasks
from notifications.models import Delivery
from tests.appointments.conftest import a_booking_with_a_patient_waiting
from tests.celery_worker import celery_worker, publishing_through, wait_for
from tests.conftest import require_service
from tests.factories import PatientProfileFactory
from tests.smtp_sink import SmtpSink
from tests.tcp_proxy import TcpProxy

pytestmark = [
    pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL"),
    pytest.mark.django_db(transaction=True),
]

QUEUED_MAIL = "notifications.mail.QueuedEmailBackend"


@pytest.fixture
def through_the_broker(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
    # What this (web) process writes: every email through the mail queue.
    settings.EMAIL_BACKEND = QUEUED_MAIL


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def worker_environment(sink: SmtpSink, **extra: str) -> dict[str, str]:
    return {
        **sink.environment(),
        # Short waits, so a test sees retries and sweeps within seconds.
        "NOTIFICATIONS_RETRY_BASE_SECONDS": "2",
        "NOTIFICATIONS_RETRY_MAX_SECONDS": "4",
        "NOTIFICATIONS_MAX_ATTEMPTS": "30",
        "NOTIFICATIONS_SWEEP_SECONDS": "1",
        "NOTIFICATIONS_REQUEUE_AFTER_SECONDS": "3",
        "OUTBOX_SWEEP_SECONDS": "1",
        "OUTBOX_RETRY_BASE_SECONDS": "1",
        "OUTBOX_RETRY_MAX_SECONDS": "2",
        **extra,
    }


def exactly_once(sink: SmtpSink) -> None:
    ids = sink.message_ids()
    repeated = [key for key, count in collections.Counter(ids).items() if count > 1]
    assert not repeated, f"sent more than once: {repeated}"


def all_sent(kind: str | None = None) -> bool:
    deliveries = Delivery.objects.filter(channel="email")
    if kind:
        deliveries = deliveries.filter(kind=kind)
    return deliveries.exists() and not deliveries.exclude(status="sent").exists()


def test_with_the_mail_server_down_for_30_seconds_sign_up_and_reset_succeed_and_mail_arrives_once(
    tmp_path, through_the_broker, sink, client
):
    with celery_worker(tmp_path, environment=worker_environment(sink), beat=True) as worker:
        sink.stop()
        went_down = time.monotonic()

        signup = client.post(
            "/accounts/signup/",
            {
                "email": "new.patient@example.org",
                "legal_name": "New Patient",
                "date_of_birth": "1990-05-01",
                "password1": "a quiet lighthouse keeps watch over winter seas",
            },
        )
        existing = PatientProfileFactory.create().user
        reset = APIClient().post(
            "/api/v1/auth/password/reset", {"email": existing.email}, format="json"
        )

        # The answers do not wait for the mail server and say nothing of it.
        assert signup.status_code == 302, signup.content[:2000]
        assert reset.status_code == 202
        # The account is whole: the user, their profile, their address.
        user = User.objects.get(email="new.patient@example.org")
        assert PatientProfile.objects.filter(user=user).exists()
        assert user.emailaddress_set.filter(verified=False).count() == 1
        # The emails wait in their rows, tried and failed while the server is away.
        wait_for(
            lambda: Delivery.objects.filter(attempts__gte=2, status="pending").count() >= 2,
            what="the sends to be tried and retried",
        )
        assert sink.count() == 0
        time.sleep(max(0.0, 30 - (time.monotonic() - went_down)))
        sink.start()

        wait_for(lambda: sink.count() >= 2 and all_sent(), seconds=90, what="the mail to arrive")
        time.sleep(3)  # a late duplicate would arrive now
    assert "Traceback" not in worker.output()

    exactly_once(sink)
    assert len(sink.to("new.patient@example.org")) == 1
    assert len(sink.to(existing.email)) == 1
    confirmation = sink.text_of(sink.to("new.patient@example.org")[0])
    assert re.search(r"/accounts/confirm-email/[^\s/]+/", confirmation)
    reset_mail = sink.text_of(sink.to(existing.email)[0])
    assert re.search(r"/accounts/password/reset/key/[^\s/]+/", reset_mail)
    # Once sent, the one-time links are not kept in the database.
    assert not Delivery.objects.exclude(body_text="").exists()


@pytest.mark.parametrize("killed_at_stage", ["rcpt", "data"])
def test_a_worker_killed_with_sigkill_mid_batch_loses_and_repeats_nothing(
    tmp_path, through_the_broker, killed_at_stage
):
    sink = SmtpSink().start()
    # After 40 messages the mail server stops answering, and the worker is killed while
    # both pool processes wait on it: "rcpt", inside a transaction before the end of DATA
    # (their rows locked, nothing committed: the server discards the message and the row is
    # sent again); "data", after the server took the whole message but before it said so
    # (the rows were marked sent before the final "." left: not sent again).
    sink.hold_after(40, at=killed_at_stage)
    try:
        environment = worker_environment(sink)
        with celery_worker(
            tmp_path, name="first", pool="prefork", concurrency=2, environment=environment
        ) as first:
            for number in range(200):
                with transaction.atomic():
                    mail.send_mail(
                        f"Message {number}", "Body.", None, [f"person{number}@example.org"]
                    )
            assert sink.holding.wait(timeout=60), "the batch never got under way"
            time.sleep(0.5)  # the other pool process reaches the held RCPT too
            first.kill_all()
        killed_at = sink.count()
        sink.release()

        with celery_worker(
            tmp_path,
            name="second",
            pool="prefork",
            concurrency=2,
            environment=environment,
            purge=False,
            beat=True,
        ):
            wait_for(lambda: all_sent() and sink.count() >= 200, seconds=120, what="the rest")
            time.sleep(3)
    finally:
        sink.stop()

    assert killed_at < 200
    if killed_at_stage == "rcpt":
        # The kill cut sends in the middle: those transactions delivered nothing ...
        assert sink.transactions_cut() >= 1
    # ... and each of the 200 arrived exactly once.
    exactly_once(sink)
    assert sink.count() == 200
    assert {str(m["To"]) for m in sink.messages} == {
        f"person{number}@example.org" for number in range(200)
    }


def test_a_booking_committed_while_the_broker_is_unreachable_is_told_once_when_it_is_back(
    tmp_path, through_the_broker, sink
):
    require_service("CELERY_BROKER_URL")
    broker = app.connection_for_write()
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    url = broker.as_uri(include_password=True).replace(
        f"{broker.hostname}:{broker.port}", f"127.0.0.1:{proxy.port}"
    )
    try:
        with celery_worker(tmp_path, environment=worker_environment(sink), beat=True):
            patient, appointment, waiting = a_booking_with_a_patient_waiting()
            wait_for(lambda: all_sent("appointment.booked"), what="the booking's confirmation")
            # The web process's broker goes away (the worker's does not).
            with publishing_through(url):
                booking.appointment_cancel(actor=patient, appointment=appointment)
            wait_for(
                lambda: all_sent("appointment.cancelled") and all_sent("waitlist.offer"),
                seconds=90,
                what="the cancellation and the offer, through the sweeps",
            )
            time.sleep(3)
    finally:
        proxy.close()

    exactly_once(sink)
    assert len(sink.to(patient.email)) == 2  # booked, cancelled
    subjects = [str(m["Subject"]) for m in sink.to(patient.email)]
    assert sum("is booked" in subject for subject in subjects) == 1
    assert sum("is cancelled" in subject for subject in subjects) == 1
    offer = sink.to(waiting.email)
    assert len(offer) == 1
    assert "/appointments/waitlist/#offer-" in sink.text_of(offer[0])


def test_the_same_send_task_delivered_twice_sends_once(tmp_path, through_the_broker, sink):
    with transaction.atomic():
        mail.send_mail("Once", "Only once.", None, ["once@example.org"])
    delivery = Delivery.objects.get()
    with celery_worker(
        tmp_path, pool="prefork", concurrency=2, environment=worker_environment(sink)
    ):
        # Two more of the same task, at once, on two pool processes (plus the one sent at
        # the commit).
        tasks.send_email.apply_async((delivery.pk,))
        tasks.send_email.apply_async((delivery.pk,))
        wait_for(lambda: all_sent(), what="the send")
        time.sleep(2)

    exactly_once(sink)
    assert sink.count() == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.provider_message_id == str(sink.messages[0]["Message-ID"])
    assert delivery.sent_at is not None
    assert delivery.sent_at <= datetime.datetime.now(tz=datetime.UTC)


def test_each_change_sends_exactly_its_messages_at_the_sink_in_the_patients_language(
    tmp_path, through_the_broker, sink
):
    app.control.purge()  # what earlier tests left; this test's own messages wait below
    patient, appointment, waiting = a_booking_with_a_patient_waiting()
    for person, language, zone in ((patient, "es", "America/New_York"), (waiting, "fr", "")):
        PatientProfile.objects.filter(user=person).update(
            preferred_language=language, time_zone=zone
        )
    later = appointment.start + datetime.timedelta(minutes=30)

    with celery_worker(tmp_path, environment=worker_environment(sink), beat=True, purge=False):
        wait_for(lambda: all_sent("appointment.booked"), what="the confirmation")
        moved = booking.appointment_reschedule(
            actor=patient, appointment=appointment, new_start=later
        )
        wait_for(lambda: all_sent("appointment.moved"), what="the move's message")
        booking.appointment_cancel(actor=patient, appointment=moved)
        wait_for(
            lambda: all_sent("appointment.cancelled") and all_sent("waitlist.offer"),
            seconds=90,
            what="the cancellation and the offer",
        )
        time.sleep(3)

    exactly_once(sink)
    subjects = [str(m["Subject"]).strip() for m in sink.to(patient.email)]
    assert len(subjects) == 3, subjects
    assert subjects[0].startswith("[St. Example Hospital] Su cita está reservada")
    assert subjects[1].startswith("[St. Example Hospital] Su cita ha cambiado")
    assert "está cancelada" in subjects[2]
    new_york = zoneinfo.ZoneInfo("America/New_York")
    assert f"{later.astimezone(new_york):%H:%M} (America/New_York)" in sink.text_of(
        sink.to(patient.email)[1]
    )
    [offer] = sink.to(waiting.email)
    # French has no offer wording of its own: the shipped English, in London time.
    assert str(offer["Subject"]).strip().startswith("[St. Example Hospital] A time has come free")
    london = zoneinfo.ZoneInfo("Europe/London")
    assert f"{later.astimezone(london):%H:%M} (Europe/London)" in sink.text_of(offer)
