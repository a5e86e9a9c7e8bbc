"""The SendGrid email backend on the official sendgrid package, against a local SendGrid
stand-in (tests/provider_standins.py), and the SendGrid event webhook signature check."""

from __future__ import annotations

import base64
import json
import logging
import socket
import time

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection, send_mail
from sendgrid.helpers.eventwebhook import EventWebhook

from core.mail import EmailDeliveryError, sendgrid_signature_valid
from core.mail.backends.sendgrid import EmailBackend
from tests.provider_standins import SendGridStandIn, sendgrid_sign, sendgrid_signing_key

SENDGRID_BACKEND = "core.mail.backends.sendgrid.EmailBackend"
RESET_LINK = "https://hospital.example/accounts/password/reset/key/7-secret-token/"


@pytest.fixture
def sendgrid(settings):
    with SendGridStandIn() as stand_in:
        stand_in.configure(settings)
        yield stand_in


def appointment_email(**overrides) -> EmailMultiAlternatives:
    fields = {
        "subject": "Your appointment on 3 March",
        "body": "Dr Smith sees you on 3 March at 09:30.",
        "from_email": "St. Example Hospital <no-reply@hospital.example>",
        "to": ["Anna Patient <anna@patients.example>"],
        "cc": ["carer@patients.example"],
        "bcc": ["archive@hospital.example"],
        "reply_to": ["Front desk <desk@hospital.example>"],
        "headers": {"X-Hospital-Notification": "appointment-reminder"},
    }
    message = EmailMultiAlternatives(**{**fields, **overrides})
    message.attach_alternative("<p>Dr Smith sees you on <b>3 March</b> at 09:30.</p>", "text/html")
    return message


def send(message: EmailMessage, **backend_options) -> int:
    return EmailBackend(**backend_options).send_messages([message])


# --- What is sent, what comes back ------------------------------------------------------------


def test_text_and_html_with_every_address_and_header_arrive(sendgrid):
    message = appointment_email()

    assert send(message) == 1

    [request] = sendgrid.requests
    assert (request.method, request.path) == ("POST", "/v3/mail/send")
    assert request.headers["authorization"] == f"Bearer {sendgrid.api_key}"
    assert request.headers["user-agent"].startswith("sendgrid/")
    assert request.body["from"] == {
        "email": "no-reply@hospital.example",
        "name": "St. Example Hospital",
    }
    assert request.body["subject"] == "Your appointment on 3 March"
    assert request.body["personalizations"] == [
        {
            "to": [{"email": "anna@patients.example", "name": "Anna Patient"}],
            "cc": [{"email": "carer@patients.example"}],
            "bcc": [{"email": "archive@hospital.example"}],
        }
    ]
    assert request.body["content"] == [
        {"type": "text/plain", "value": "Dr Smith sees you on 3 March at 09:30."},
        {"type": "text/html", "value": "<p>Dr Smith sees you on <b>3 March</b> at 09:30.</p>"},
    ]
    assert request.body["reply_to"] == {"email": "desk@hospital.example", "name": "Front desk"}
    assert request.body["headers"] == {"X-Hospital-Notification": "appointment-reminder"}


def test_custom_args_are_passed_and_sendgrids_message_id_is_set(sendgrid):
    message = appointment_email()
    message.custom_args = {"delivery_id": "42", "kind": "reminder"}  # type: ignore[attr-defined]

    send(message)

    [request] = sendgrid.requests
    assert request.body["custom_args"] == {"delivery_id": "42", "kind": "reminder"}
    assert message.provider_message_id == request.provider_message_id  # type: ignore[attr-defined]
    assert len(request.provider_message_id) == 22


def test_without_custom_args_none_are_sent(sendgrid):
    send(appointment_email())

    [request] = sendgrid.requests
    assert "custom_args" not in request.body


def test_an_html_only_message_is_sent_as_html(sendgrid):
    message = EmailMessage("Results", "<p>Ready</p>", to=["anna@patients.example"])
    message.content_subtype = "html"

    send(message)

    [request] = sendgrid.requests
    assert request.body["content"] == [{"type": "text/html", "value": "<p>Ready</p>"}]


def test_an_address_named_twice_is_sent_once(sendgrid):
    message = appointment_email(
        to=["anna@patients.example"],
        cc=["ANNA@patients.example", "carer@patients.example"],
        bcc=["carer@patients.example"],
    )

    send(message)

    [personalization] = sendgrid.requests[0].body["personalizations"]
    assert personalization == {
        "to": [{"email": "anna@patients.example"}],
        "cc": [{"email": "carer@patients.example"}],
    }


def test_several_reply_to_addresses_and_a_reply_to_header(sendgrid):
    several = appointment_email(
        reply_to=["desk@hospital.example", "Ward 3 <ward3@hospital.example>"]
    )
    from_header = appointment_email(reply_to=[], headers={"Reply-To": "ward3@hospital.example"})

    send(several)
    send(from_header)

    first, second = (r.body for r in sendgrid.requests)
    assert first["reply_to_list"] == [
        {"email": "desk@hospital.example"},
        {"email": "ward3@hospital.example", "name": "Ward 3"},
    ]
    assert second["reply_to"] == {"email": "ward3@hospital.example"}
    assert "headers" not in second


def test_attachments_are_sent_base64_encoded(sendgrid):
    message = appointment_email()
    message.attach("letter.txt", "Referral letter", "text/plain")
    message.attach("scan.pdf", b"%PDF-1.7 scan")

    send(message)

    attachments = sendgrid.requests[0].body["attachments"]
    assert attachments == [
        {
            "content": base64.b64encode(b"Referral letter").decode(),
            "filename": "letter.txt",
            "type": "text/plain",
            "disposition": "attachment",
        },
        {
            "content": base64.b64encode(b"%PDF-1.7 scan").decode(),
            "filename": "scan.pdf",
            "type": "application/pdf",
            "disposition": "attachment",
        },
    ]


def test_djangos_send_mail_works_through_the_backend(sendgrid):
    sent = send_mail(
        "Welcome",
        "Your account is ready.",
        None,
        ["anna@patients.example"],
        connection=get_connection(SENDGRID_BACKEND),
        html_message="<p>Your account is ready.</p>",
    )

    assert sent == 1
    [request] = sendgrid.requests
    assert request.body["from"]["email"] == "no-reply@hospital.example"
    assert [c["type"] for c in request.body["content"]] == ["text/plain", "text/html"]


def test_each_message_is_its_own_request(sendgrid):
    messages = [appointment_email(), appointment_email(subject="Second")]

    assert EmailBackend().send_messages(messages) == 2

    assert [r.body["subject"] for r in sendgrid.requests] == [
        "Your appointment on 3 March",
        "Second",
    ]
    assert messages[0].provider_message_id != messages[1].provider_message_id  # type: ignore[attr-defined]


def test_a_message_without_recipients_is_not_sent(sendgrid):
    assert send(EmailMessage("Nobody", "Nothing", to=[])) == 0

    assert sendgrid.requests == []


# --- Failures: transient or permanent -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (400, False), (413, False)]
)
def test_a_refusal_is_transient_only_for_5xx_and_429(sendgrid, status, transient):
    sendgrid.fail_next(status)
    message = appointment_email(body=f"Reset your password: {RESET_LINK}")

    with pytest.raises(EmailDeliveryError, match=f"HTTP {status}") as failed:
        send(message)

    assert failed.value.transient is transient
    assert failed.value.status_code == status
    assert RESET_LINK not in str(failed.value)
    assert not hasattr(message, "provider_message_id")


def test_content_the_package_refuses_is_a_permanent_failure_and_sends_nothing(sendgrid):
    message = appointment_email(body="SG.abcdefgh.ijklmnop is the key to sign in with.")

    with pytest.raises(EmailDeliveryError, match="ApiKeyIncludedException") as refused:
        send(message)

    assert refused.value.transient is False
    assert sendgrid.requests == []


def test_a_wrong_api_key_is_a_permanent_refusal(sendgrid):
    with pytest.raises(EmailDeliveryError, match="HTTP 401") as refused:
        send(appointment_email(), api_key="SG.wrong")

    assert refused.value.transient is False


def test_the_first_failure_stops_the_batch_unless_fail_silently(sendgrid):
    sendgrid.fail_next(500)
    messages = [appointment_email(subject="First"), appointment_email(subject="Second")]

    with pytest.raises(EmailDeliveryError):
        EmailBackend().send_messages(messages)
    assert len(sendgrid.requests) == 1

    sendgrid.clear()
    sendgrid.fail_next(500)
    assert EmailBackend(fail_silently=True).send_messages(messages) == 1
    assert [r.status for r in sendgrid.requests] == [500, 202]


def test_an_outage_is_transient_and_the_same_port_answers_again_after_it(sendgrid):
    with sendgrid.outage():
        started = time.monotonic()
        with pytest.raises(EmailDeliveryError, match="could not be reached") as failed:
            send(appointment_email())
        assert time.monotonic() - started < 5

    assert failed.value.transient is True
    assert send(appointment_email()) == 1


def test_a_server_that_never_answers_times_out_as_transient(sendgrid, settings, monkeypatch):
    silent_server = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    settings.SENDGRID_API_URL = f"http://127.0.0.1:{silent_server.getsockname()[1]}"
    assert EmailBackend.timeout_seconds == 10
    monkeypatch.setattr(EmailBackend, "timeout_seconds", 1)
    started = time.monotonic()

    try:
        with pytest.raises(EmailDeliveryError, match="could not be reached") as failed:
            send(appointment_email())
    finally:
        silent_server.close()

    assert failed.value.transient is True
    assert time.monotonic() - started < 5


def test_neither_the_api_key_nor_the_content_is_logged_even_at_debug(sendgrid, caplog):
    caplog.set_level(logging.DEBUG)
    sendgrid.fail_next(400)
    message = appointment_email(body=f"Reset your password: {RESET_LINK}")

    with pytest.raises(EmailDeliveryError):
        send(message)
    send(message)

    assert "SendGrid refused an email: HTTP 400" in caplog.text
    assert "Email accepted by SendGrid" in caplog.text
    for record in caplog.records:
        assert RESET_LINK not in str(vars(record)) + record.getMessage()
        assert sendgrid.api_key not in str(vars(record)) + record.getMessage()


# --- Configuration: a key, and https except on loopback ---------------------------------------


@pytest.mark.parametrize(
    "api_url",
    ["http://api.sendgrid.com", "http://192.0.2.10:8080", "http://user:secret@127.0.0.1:9"],
)
def test_plain_http_is_refused_except_on_loopback(sendgrid, settings, api_url):
    settings.SENDGRID_API_URL = api_url

    with pytest.raises(EmailDeliveryError, match="must use https") as refused:
        send(appointment_email())

    assert refused.value.transient is False
    assert sendgrid.requests == []


def test_plain_http_to_localhost_is_allowed(sendgrid, settings):
    settings.SENDGRID_API_URL = f"http://localhost:{sendgrid.port}"

    assert send(appointment_email()) == 1


def test_without_an_api_key_nothing_is_sent(sendgrid, settings):
    settings.SENDGRID_API_KEY = ""

    with pytest.raises(EmailDeliveryError, match="not configured") as refused:
        send(appointment_email())
    assert send(appointment_email(), fail_silently=True) == 0

    assert refused.value.transient is False
    assert sendgrid.requests == []


# --- SendGrid's signed event webhook -----------------------------------------------------------

EVENTS = json.dumps(
    [{"email": "anna@patients.example", "event": "delivered", "delivery_id": "42"}]
).encode()
TIMESTAMP = "1764518400"


@pytest.fixture
def signing_key(settings):
    private_key, public_key = sendgrid_signing_key()
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = public_key
    return private_key


def test_a_sendgrid_signature_is_accepted(signing_key):
    signature = sendgrid_sign(signing_key, EVENTS, TIMESTAMP)

    assert sendgrid_signature_valid(payload=EVENTS, signature=signature, timestamp=TIMESTAMP)


def test_the_stand_in_signs_as_sendgrids_own_library_verifies(signing_key, settings):
    signature = sendgrid_sign(signing_key, EVENTS, TIMESTAMP)

    webhook = EventWebhook(settings.SENDGRID_WEBHOOK_PUBLIC_KEY)

    assert webhook.verify_signature(EVENTS.decode(), signature, TIMESTAMP) is True


def test_a_tampered_payload_is_refused(signing_key):
    signature = sendgrid_sign(signing_key, EVENTS, TIMESTAMP)
    tampered = EVENTS.replace(b"delivered", b"bounce")

    assert not sendgrid_signature_valid(payload=tampered, signature=signature, timestamp=TIMESTAMP)


def test_another_timestamp_is_refused(signing_key):
    signature = sendgrid_sign(signing_key, EVENTS, TIMESTAMP)

    assert not sendgrid_signature_valid(payload=EVENTS, signature=signature, timestamp="1764518401")


def test_a_signature_by_another_key_is_refused(signing_key):
    other_key, _ = sendgrid_signing_key()
    signature = sendgrid_sign(other_key, EVENTS, TIMESTAMP)

    assert not sendgrid_signature_valid(payload=EVENTS, signature=signature, timestamp=TIMESTAMP)


@pytest.mark.parametrize("signature", ["", "not base64 at all!", "c2lnbmF0dXJl"])
def test_a_signature_that_does_not_parse_is_refused(signing_key, signature):
    assert not sendgrid_signature_valid(payload=EVENTS, signature=signature, timestamp=TIMESTAMP)


@pytest.mark.parametrize("public_key", ["", "not-a-key", base64.b64encode(b"garbage").decode()])
def test_without_a_usable_public_key_nothing_is_accepted(signing_key, settings, public_key):
    signature = sendgrid_sign(signing_key, EVENTS, TIMESTAMP)
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = public_key

    assert not sendgrid_signature_valid(payload=EVENTS, signature=signature, timestamp=TIMESTAMP)
