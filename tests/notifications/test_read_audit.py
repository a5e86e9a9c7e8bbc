"""Messages about a patient's appointment are reads of their record (audit/access.py): a
clinician's "New booking: ..., A. Morgan" shown in the inbox (page and API) or pushed to an
open socket, and an email or text sent about it, each record who saw whose record and where;
a send that fails records nothing."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.test import Client

from appointments.services import booking
from audit.models import AuditEvent
from notifications.models import Delivery, Notification
from notifications.services import push, sending
from tests.appointments.conftest import MONDAY, api_as, at
from tests.conftest import login_verified
from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

SUNDAY_EVENING = at(MONDAY, 0) - datetime.timedelta(hours=3)


def reads_of(patient: Any, **filters: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.concerning(patient.pk)
        .filter(action="records.viewed", **filters)
        .order_by("id")
    )


def booked_for_tomorrow(practitioner: Any, consultation: Any, capture: Any) -> Any:
    """A patient books the clinician's tomorrow: the clinician is told (in-app and email)."""
    patient = PatientProfileFactory.create().user
    with time_machine.travel(SUNDAY_EVENING, tick=False), capture(execute=True):
        booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY, 11),
            channel="web",
        )
    return patient


@pytest.fixture
def told(practitioner, consultation, django_capture_on_commit_callbacks):
    return booked_for_tomorrow(practitioner, consultation, django_capture_on_commit_callbacks)


def test_the_message_and_its_deliveries_name_the_patient_they_are_about(told, practitioner):
    [notice] = Notification.objects.filter(recipient=practitioner.user)
    assert (notice.kind, notice.patient_id) == ("schedule.changed", told.pk)
    assert set(
        Delivery.objects.filter(recipient=practitioner.user).values_list("patient_id", flat=True)
    ) == {told.pk}
    # The patient's own messages are about themselves.
    assert set(Delivery.objects.filter(recipient=told).values_list("patient_id", flat=True)) == {
        told.pk
    }


def test_the_email_sent_to_the_clinician_is_recorded_as_their_read(told, practitioner):
    [email] = Delivery.objects.filter(recipient=practitioner.user, channel="email")
    assert email.status == "sent"

    (read,) = reads_of(told, actor=practitioner.user)
    assert (read.target_type, read.target_id) == ("notifications.delivery", str(email.public_id))
    assert read.details == {"surface": "email", "purpose": "treatment"}
    assert read.ip_address is None


def test_the_patients_own_email_is_recorded_as_their_own_read(told):
    (read,) = reads_of(told, actor=told, details__surface="email")
    assert read.details["purpose"] == "self"


def test_a_send_that_fails_records_no_read(
    settings, practitioner, consultation, django_capture_on_commit_callbacks
):
    """The mail server refuses the connection: the delivery waits for a retry, and no row says
    the clinician was sent anything."""
    settings.NOTIFICATIONS_EMAIL_TRANSPORT = "core.mail.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    patient = booked_for_tomorrow(practitioner, consultation, django_capture_on_commit_callbacks)

    [email] = Delivery.objects.filter(recipient=practitioner.user, channel="email")
    assert email.status == "pending"
    assert email.attempts == 1
    assert reads_of(patient, actor=practitioner.user, details__surface="email") == []

    # Once the server is back, the retry sends it and records the read.
    settings.NOTIFICATIONS_EMAIL_TRANSPORT = "django.core.mail.backends.locmem.EmailBackend"
    Delivery.objects.filter(pk=email.pk).update(
        next_attempt_at=datetime.datetime.now(tz=datetime.UTC)
    )
    assert sending.delivery_send(delivery_id=email.pk).status == "sent"
    (read,) = reads_of(patient, actor=practitioner.user, details__surface="email")
    assert read.target_id == str(email.public_id)


@pytest.mark.parametrize("surface", ["page", "api"])
def test_the_clinicians_inbox_records_the_patients_its_messages_name(
    client, surface, told, practitioner
):
    other = PatientProfileFactory.create().user
    if surface == "page":
        login_verified(client, practitioner.user)
        response = client.get("/notifications/")
    else:
        response = api_as(practitioner.user).get("/api/v1/notifications")
    assert response.status_code == 200

    (read,) = reads_of(told, actor=practitioner.user, target_type="notifications.inbox")
    assert read.details == {"surface": surface, "purpose": "treatment"}
    assert reads_of(other) == []


@pytest.mark.django_db(transaction=True)
def test_a_message_pushed_to_an_open_socket_is_recorded_before_it_is_sent(
    settings, practitioner, consultation, django_capture_on_commit_callbacks
):
    from tests.notifications.test_websocket import SITE, cookie_of, opened

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    patient = booked_for_tomorrow(practitioner, consultation, django_capture_on_commit_callbacks)
    [notice] = Notification.objects.filter(recipient=practitioner.user)
    browser = Client()
    login_verified(browser, practitioner.user)
    before = len(reads_of(patient, details__surface="socket"))

    async def scenario() -> dict[str, Any]:
        socket, connected, _ = await opened(headers=[*SITE, cookie_of(browser)])
        assert connected
        await socket.receive_json_from()  # hello
        await database_sync_to_async(push.notification_push)(notification=notice)
        message: dict[str, Any] = await socket.receive_json_from(timeout=5)
        await socket.disconnect()
        return message

    message = asyncio.run(scenario())

    assert message["notification"]["id"] == str(notice.public_id)
    assert "patient" not in message and "patient" not in message["notification"]
    assert before == 0
    (read,) = reads_of(patient, details__surface="socket")
    assert (read.actor_id, read.target_type, read.target_id) == (
        practitioner.user.pk,
        "notifications.notification",
        str(notice.public_id),
    )
    assert read.details["purpose"] == "treatment"
