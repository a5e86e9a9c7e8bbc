"""The transactional outbox (core.events): the work an event triggers is written with the
change, relayed after the commit, retried with backoff while the broker is away, and done once."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, WaitlistEntry
from appointments.services import booking, waitlist
from audit.models import AuditEvent
from core import events
from core.models import OutboxMessage
from core.request_id import bind_request_id, unbind_request_id
from core.tasks import handle_outbox_message
from hospital.celery import app
from tests.appointments.conftest import a_booking_with_a_patient_waiting, api_as
from tests.celery_worker import celery_worker, publishing_through, wait_for
from tests.conftest import require_service
from tests.factories import (
    PatientProfileFactory,
)
from tests.tcp_proxy import TcpProxy, free_port


@dataclass(frozen=True)
class ParcelArrived:
    parcel_id: uuid.UUID
    arrived_at: datetime.datetime
    signed_by: uuid.UUID | None
    note: str


received: list[ParcelArrived] = []


def note_parcel(event: ParcelArrived) -> None:
    received.append(event)


@pytest.fixture
def parcel_subscriber():
    received.clear()
    events.subscribe(ParcelArrived)(note_parcel)
    yield received
    events._subscribers[ParcelArrived].remove(note_parcel)


@pytest.fixture
def request_id():
    token = bind_request_id("req-outbox-0001")
    yield "req-outbox-0001"
    unbind_request_id(token)


@pytest.fixture
def broker_unreachable(settings):
    """Tasks go to a broker (not eager), on a port where nothing listens."""
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
    with publishing_through(f"amqp://guest:guest@127.0.0.1:{free_port()}//"):
        yield


def _parcel() -> ParcelArrived:
    return ParcelArrived(
        parcel_id=uuid.uuid4(),
        arrived_at=datetime.datetime(2027, 3, 28, 9, 30, tzinfo=datetime.UTC),
        signed_by=None,
        note="front desk",
    )


@pytest.mark.django_db
def test_publish_writes_the_work_with_the_change_and_runs_it_after_the_commit(
    parcel_subscriber, request_id, django_capture_on_commit_callbacks
):
    parcel = _parcel()

    with django_capture_on_commit_callbacks() as after_commit, transaction.atomic():
        events.publish(parcel)
    pending = OutboxMessage.objects.get()
    received_before_commit = list(received)
    for callback in after_commit:
        callback()
    pending.refresh_from_db()

    assert received_before_commit == []
    assert pending.event_type == "tests.hospital.test_outbox.ParcelArrived"
    assert pending.handler == "tests.hospital.test_outbox.note_parcel"
    assert pending.payload == {
        "parcel_id": str(parcel.parcel_id),
        "arrived_at": "2027-03-28T09:30:00+00:00",
        "signed_by": None,
        "note": "front desk",
    }
    assert pending.request_id == request_id
    # Eager Celery (the embedded default): the subscriber ran in-process after the commit.
    assert received == [parcel]
    assert pending.dispatched_at is not None
    assert pending.handled_at is not None
    assert pending.attempts == 1


@pytest.mark.django_db
def test_a_rollback_writes_no_outbox_row_and_runs_nothing(
    parcel_subscriber, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        events.publish(_parcel())
        raise RuntimeError("the change fails after the event was published")

    assert not OutboxMessage.objects.exists()
    assert received == []


@pytest.mark.django_db
def test_an_event_without_subscribers_writes_no_row():
    events.publish(_parcel())

    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db
def test_a_redelivered_message_does_not_run_the_subscriber_again(
    parcel_subscriber, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(_parcel())
    message = OutboxMessage.objects.get()

    again = events.handle(message.pk)

    assert again is False
    assert len(received) == 1


def test_events_must_be_frozen_dataclasses_of_ids_and_times():
    @dataclass
    class Mutable:
        thing_id: uuid.UUID

    @dataclass(frozen=True)
    class WithAnObject:
        thing: object

    with pytest.raises(TypeError, match="frozen dataclass"):
        events.subscribe(Mutable)
    with pytest.raises(TypeError, match="ids and times only"):
        events.event_payload(WithAnObject(thing=object()))


def test_an_event_survives_its_json_form():
    parcel = ParcelArrived(
        parcel_id=uuid.uuid4(),
        arrived_at=datetime.datetime(2027, 10, 31, 1, 30, tzinfo=datetime.UTC),
        signed_by=uuid.uuid4(),
        note="",
    )

    assert events.event_from_payload(ParcelArrived, events.event_payload(parcel)) == parcel


@pytest.mark.django_db
def test_a_relay_that_fails_leaves_the_row_pending_with_attempts_and_backoff(
    parcel_subscriber, broker_unreachable, settings, django_capture_on_commit_callbacks
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    started = timezone.now()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events.publish(_parcel())  # the send right after the commit fails
    first = OutboxMessage.objects.get()
    swept_too_early = events.relay()  # not due yet: the backoff holds it back
    call_command("relay_outbox", "--now")  # an operator's sweep, after the first backoff
    second = OutboxMessage.objects.get()

    assert received == []
    assert first.dispatched_at is None
    assert first.handled_at is None
    assert first.attempts == 1
    assert "OperationalError" in first.last_error
    assert first.next_attempt_at >= started + datetime.timedelta(seconds=10)
    assert swept_too_early == 0
    assert second.attempts == 2
    assert second.dispatched_at is None
    # Exponential: the second wait is at least twice the base.
    assert second.next_attempt_at >= started + datetime.timedelta(seconds=20)


def test_the_retry_delay_grows_exponentially_up_to_its_ceiling(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 10
    settings.OUTBOX_RETRY_MAX_SECONDS = 900

    delays = [events.retry_delay(attempts).total_seconds() for attempts in (1, 2, 3, 4, 12)]

    assert [10 <= delays[0] <= 12, 20 <= delays[1] <= 24, 40 <= delays[2] <= 48] == [True] * 3
    assert 80 <= delays[3] <= 96
    assert 900 <= delays[4] <= 1080


@pytest.mark.django_db
def test_the_sweep_forgets_rows_handled_long_ago_and_keeps_the_rest(settings):
    from core.tasks import relay_outbox

    settings.OUTBOX_KEEP_HANDLED_DAYS = 7
    now = timezone.now()

    def row(**fields):
        return OutboxMessage.objects.create(
            event_type="x",
            handler="y",
            payload={},
            next_attempt_at=now + datetime.timedelta(hours=1),
            **fields,
        )

    old = row(handled_at=now - datetime.timedelta(days=8))
    recent = row(handled_at=now - datetime.timedelta(days=6))
    pending_for_long = row(created_at=now - datetime.timedelta(days=30))

    relay_outbox.apply()

    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {
        recent.pk,
        pending_for_long.pk,
    }
    assert old.pk is not None


def test_the_sweep_runs_in_celery_beat_every_30_seconds(settings):
    sweep = settings.CELERY_BEAT_SCHEDULE["core-relay-outbox"]

    assert sweep["task"] == "core.tasks.relay_outbox"
    assert sweep["schedule"] == datetime.timedelta(seconds=30)
    assert "core.tasks.relay_outbox" in app.tasks


@pytest.mark.django_db
def test_a_declined_offer_is_kept_for_the_next_patient_while_the_broker_is_away(
    settings, django_capture_on_commit_callbacks
):
    patient, appointment, first_in_line = a_booking_with_a_patient_waiting()
    second_in_line = PatientProfileFactory.create().user
    waitlist.waitlist_join(
        actor=second_in_line,
        patient=second_in_line,
        appointment_type=appointment.appointment_type,
        date_from=appointment.start.date(),
        date_to=appointment.start.date() + datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        booking.appointment_cancel(actor=patient, appointment=appointment)
    first_hold = Appointment.objects.get(status="held")

    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
    with (
        publishing_through(f"amqp://guest:guest@127.0.0.1:{free_port()}//"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        waitlist.waitlist_decline(actor=first_in_line, hold_public_id=first_hold.public_id)
    # (The booking's own messages, made outside the captured commits, are still unhandled too.)
    kept = OutboxMessage.objects.get(
        handled_at__isnull=True,
        event_type="appointments.events.WaitlistHoldReleased",
        handler__startswith="appointments.",
    )
    held_while_away = Appointment.objects.filter(status="held").exists()
    settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = True  # the broker is back
    call_command("relay_outbox", "--now")

    assert first_hold.patient == first_in_line
    assert kept.event_type == "appointments.events.WaitlistHoldReleased"
    assert kept.dispatched_at is None
    assert not held_while_away
    assert Appointment.objects.get(status="held").patient == second_in_line


# --- With RabbitMQ and a real worker -------------------------------------------------------


@pytest.fixture
def broker_behind_a_proxy():
    """The real broker, reached by this process through a proxy the test can stop."""
    broker = urlsplit(require_service("CELERY_BROKER_URL"))
    proxy = TcpProxy(broker.hostname or "127.0.0.1", broker.port or 5672)
    proxy.start()
    credentials = broker.netloc.rpartition("@")[0]
    yield proxy, broker._replace(netloc=f"{credentials}@127.0.0.1:{proxy.port}").geturl()
    proxy.close()


@pytest.mark.services("DATABASE_URL", "CELERY_BROKER_URL")
@pytest.mark.django_db(transaction=True)
def test_a_cancellation_while_the_broker_is_unreachable_reaches_the_waitlist_once_it_is_back(
    tmp_path, settings, broker_behind_a_proxy
):
    proxy, proxied_broker = broker_behind_a_proxy
    patient, appointment, waiting = a_booking_with_a_patient_waiting()

    with celery_worker(tmp_path) as worker, publishing_through(proxied_broker):
        settings.CELERY_TASK_ALWAYS_EAGER = app.conf.task_always_eager = False
        proxy.stop()  # the broker is unreachable for the web process
        response = api_as(patient).post(
            f"/api/v1/appointments/{appointment.public_id}/cancel",
            {},
            format="json",
            HTTP_X_REQUEST_ID="cancel-in-outage-0001",
        )
        # The waitlist's share of the cancellation (the patient's messages and the live
        # schedules have rows of their own).
        during_outage = OutboxMessage.objects.get(
            handler__endswith="offer_cancelled_time_to_the_waitlist"
        )
        offered_during_outage = Appointment.objects.filter(status="held").exists()

        proxy.start()  # the broker is back; the sweep sends what is pending
        call_command("relay_outbox", "--now")
        wait_for(
            lambda: OutboxMessage.objects.filter(
                pk=during_outage.pk, handled_at__isnull=False
            ).exists(),
            what="the worker to handle the outbox row",
        )
        # The same message again (a redelivery; a second sweep): nothing more happens.
        call_command("relay_outbox", "--now")
        handle_outbox_message.delay(during_outage.pk)
        wait_for(
            lambda: "was handled already" in worker.output(),
            what="the worker to see the redelivered message",
        )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert during_outage.dispatched_at is None
    assert during_outage.handled_at is None
    assert during_outage.attempts == 1
    assert during_outage.request_id == "cancel-in-outage-0001"
    assert not offered_during_outage
    hold = Appointment.objects.get(status="held")
    assert hold.patient == waiting
    assert hold.start == appointment.start
    assert WaitlistEntry.objects.get(patient=waiting).status == "offered"
    offers = AuditEvent.objects.filter(action="appointments.waitlist_offered")
    assert offers.count() == 1
    # The request id of the cancellation reaches the worker's audit row and log line.
    assert offers.get().request_id == "cancel-in-outage-0001"
    assert any(
        "[cancel-in-outage-0001]" in line and "Handled" in line
        for line in worker.output().splitlines()
    )
    delivered = OutboxMessage.objects.get(pk=during_outage.pk)
    assert delivered.attempts == 2
    assert delivered.dispatched_at is not None
