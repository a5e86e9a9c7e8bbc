"""Messages through the providers' real HTTP APIs (local stand-in servers that record what
they receive): SendGrid for email, Twilio for SMS; their callbacks, signed as the providers
sign them, move a delivery to delivered, bounced or undelivered; anything unsigned is 403."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import SmsDevice
from notifications.models import Delivery
from notifications.services.sweeping import deliveries_sweep
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory
from tests.provider_standins import (
    SendGridStandIn,
    TwilioStandIn,
    sendgrid_sign,
    sendgrid_signing_key,
    twilio_sign,
)

pytestmark = pytest.mark.django_db

SENDGRID_BACKEND = "core.mail.backends.sendgrid.EmailBackend"


@pytest.fixture
def sendgrid(settings):
    with SendGridStandIn() as stand_in:
        stand_in.configure(settings)
        settings.NOTIFICATIONS_EMAIL_TRANSPORT = SENDGRID_BACKEND
        yield stand_in


@pytest.fixture
def twilio(settings):
    with TwilioStandIn() as stand_in:
        stand_in.configure(settings)
        yield stand_in


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(action, when=NOW):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return action()

    return run


def patient_with_phone():
    patient = PatientProfileFactory.create().user
    SmsDevice.objects.create(user=patient, name="phone", number="+447700900123", confirmed=True)
    return patient


def test_an_email_goes_through_sendgrid_with_our_delivery_id(
    sendgrid, practitioner, consultation, committed
):
    patient = PatientProfileFactory.create().user

    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))

    [request] = sendgrid.requests
    delivery = Delivery.objects.get(kind="appointment.booked", channel="email")
    assert request.body["personalizations"][0]["to"] == [{"email": patient.email}]
    assert request.body["custom_args"] == {"delivery": str(delivery.public_id)}
    contents = {part["type"]: part["value"] for part in request.body["content"]}
    assert "Your appointment is booked" in contents["text/plain"]
    assert "<p>" in contents["text/html"]
    assert delivery.status == "sent"
    assert delivery.provider_message_id == request.provider_message_id


def test_a_sendgrid_outage_is_retried_and_a_refusal_fails_for_good(
    sendgrid, practitioner, consultation, committed, settings
):
    patient = PatientProfileFactory.create().user
    sendgrid.fail_next(503)
    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    delivery = Delivery.objects.get(kind="appointment.booked", channel="email")
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "503" in delivery.last_error

    committed(deliveries_sweep, when=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)

    other = PatientProfileFactory.create().user
    sendgrid.fail_next(400)
    committed(lambda: book(other, practitioner, consultation, at(MONDAY, 10)))
    refused = Delivery.objects.get(kind="appointment.booked", channel="email", recipient=other)
    assert (refused.status, refused.attempts) == ("failed", 1)


def test_an_sms_goes_through_twilio_with_a_status_callback(
    twilio, practitioner, consultation, committed, settings
):
    settings.TWILIO_STATUS_CALLBACKS = True
    patient = patient_with_phone()
    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))

    committed(deliveries_sweep, when=at(MONDAY, 7))  # the reminders by SMS

    sent = [r for r in twilio.requests if r.path == twilio.messages_path]
    assert len(sent) == 2
    assert {r.body["To"] for r in sent} == {"+447700900123"}
    assert all(r.body["StatusCallback"].endswith("/webhooks/twilio/status/") for r in sent)
    assert all(len(r.body["Body"]) <= 306 for r in sent)
    sids = {r.provider_message_id for r in sent}
    assert (
        set(Delivery.objects.filter(channel="sms").values_list("provider_message_id", flat=True))
        == sids
    )


def _twilio_callback(client: Client, settings, params: dict[str, str], signature: str | None):
    url = f"{settings.HOSPITAL_PUBLIC_URL}/webhooks/twilio/status/"
    headers: dict[str, Any] = (
        {"HTTP_X_TWILIO_SIGNATURE": signature} if signature is not None else {}
    )
    return client.post(url.replace(settings.HOSPITAL_PUBLIC_URL, ""), params, **headers)


def test_twilio_callbacks_are_checked_and_move_the_status_forward(
    twilio, practitioner, consultation, committed, settings
):
    patient = patient_with_phone()
    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    committed(deliveries_sweep, when=at(MONDAY, 7))
    first, second = Delivery.objects.filter(channel="sms").order_by("pk")
    url = f"{settings.HOSPITAL_PUBLIC_URL}/webhooks/twilio/status/"
    client = Client()

    delivered = {"MessageSid": first.provider_message_id, "MessageStatus": "delivered"}
    forged = {"MessageSid": second.provider_message_id, "MessageStatus": "undelivered"}
    ok = _twilio_callback(
        client, settings, delivered, twilio_sign(twilio.auth_token, url, delivered)
    )
    unsigned = _twilio_callback(client, settings, forged, None)
    wrong = _twilio_callback(client, settings, forged, twilio_sign("another-token", url, forged))
    tampered = _twilio_callback(
        client,
        settings,
        {**forged, "MessageStatus": "failed"},
        twilio_sign(twilio.auth_token, url, forged),
    )

    assert ok.status_code == 204
    assert (unsigned.status_code, wrong.status_code, tampered.status_code) == (403, 403, 403)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "delivered"
    assert second.status == "sent"

    undelivered = {
        "MessageSid": second.provider_message_id,
        "MessageStatus": "undelivered",
        "ErrorCode": "30003",
    }
    _twilio_callback(
        client, settings, undelivered, twilio_sign(twilio.auth_token, url, undelivered)
    )
    # A late "sent"-like report never moves a final status back.
    late = {"MessageSid": first.provider_message_id, "MessageStatus": "undelivered"}
    _twilio_callback(client, settings, late, twilio_sign(twilio.auth_token, url, late))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("delivered", "undelivered")
    assert second.last_error == "error 30003"


def test_sendgrid_events_are_checked_and_move_the_status_forward(
    sendgrid, practitioner, consultation, committed, settings
):
    private_key, public_key = sendgrid_signing_key()
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = public_key
    one, two = PatientProfileFactory.create().user, PatientProfileFactory.create().user
    committed(lambda: book(one, practitioner, consultation, at(MONDAY, 9)))
    committed(lambda: book(two, practitioner, consultation, at(MONDAY, 10)))
    first = Delivery.objects.get(kind="appointment.booked", channel="email", recipient=one)
    second = Delivery.objects.get(kind="appointment.booked", channel="email", recipient=two)
    events = [
        {"event": "processed", "delivery": str(first.public_id)},
        {"event": "delivered", "delivery": str(first.public_id), "sg_message_id": "x.filter1"},
        {
            "event": "bounce",
            "sg_message_id": f"{second.provider_message_id}.filter2",
            "reason": "550 no such user",
        },
    ]
    payload = json.dumps(events).encode()
    timestamp = "1780000000"
    client = Client()

    def post(body: bytes, signature: str) -> int:
        return client.post(
            "/webhooks/sendgrid/events/",
            body,
            content_type="application/json",
            HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=signature,
            HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
        ).status_code

    forged_payload = payload.replace(b"bounce", b"delivered")
    assert post(forged_payload, sendgrid_sign(private_key, payload, timestamp)) == 403
    assert post(payload, "") == 403
    first.refresh_from_db()
    assert first.status == "sent"

    assert post(payload, sendgrid_sign(private_key, payload, timestamp)) == 200

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "delivered"
    assert second.status == "bounced"
    assert second.last_error == "550 no such user"


def test_webhooks_refuse_everything_when_no_key_is_configured(settings):
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = ""
    settings.TWILIO_AUTH_TOKEN = ""
    client = Client()

    assert (
        client.post(
            "/webhooks/sendgrid/events/", b"[]", content_type="application/json"
        ).status_code
        == 403
    )
    assert client.post("/webhooks/twilio/status/", {"MessageSid": "SM1"}).status_code == 403
    assert client.get("/webhooks/twilio/status/").status_code == 405
