"""The SMS adapter's Twilio backend on the official twilio package, against a local Twilio
stand-in (tests/provider_standins.py), and the Twilio webhook signature check."""

from __future__ import annotations

import json
import logging
import re
import socket
import time

import pytest

from core import sms
from core.sms import SentSms, SmsDeliveryError, send_sms, twilio_signature_valid
from core.sms.backends.twilio import SmsBackend as TwilioSmsBackend
from tests.provider_standins import TwilioStandIn, twilio_sign

PATIENT_NUMBER = "+48601234567"
ONE_TIME_CODE = "739154"
STATUS_CALLBACK = "https://hospital.example/webhooks/twilio/status?delivery=42"


@pytest.fixture
def twilio(settings):
    with TwilioStandIn() as stand_in:
        stand_in.configure(settings)
        yield stand_in


class QuickTimeoutTwilioBackend(TwilioSmsBackend):
    timeout_seconds = 1


# --- What is sent, what comes back ------------------------------------------------------------


def test_send_sms_posts_to_from_and_body_and_returns_the_message_sid(twilio):
    sent = send_sms(to=PATIENT_NUMBER, body=f"Your code is {ONE_TIME_CODE}")

    [request] = twilio.requests
    assert (request.method, request.path) == ("POST", twilio.messages_path)
    assert request.body == {
        "To": PATIENT_NUMBER,
        "From": twilio.from_number,
        "Body": f"Your code is {ONE_TIME_CODE}",
    }
    assert request.headers["user-agent"].startswith("twilio-python/")
    assert isinstance(sent, SentSms)
    assert re.fullmatch(r"SM[0-9a-f]{32}", sent.provider_message_id)
    assert sent.provider_message_id == request.provider_message_id
    assert (sent.to, sent.body) == (PATIENT_NUMBER, f"Your code is {ONE_TIME_CODE}")


def test_a_status_callback_is_passed_to_twilio(twilio):
    send_sms(to=PATIENT_NUMBER, body="Your results are ready", status_callback=STATUS_CALLBACK)

    [request] = twilio.requests
    assert request.body["StatusCallback"] == STATUS_CALLBACK


def test_without_a_status_callback_none_is_sent(twilio):
    send_sms(to=PATIENT_NUMBER, body="Your results are ready")

    [request] = twilio.requests
    assert "StatusCallback" not in request.body


def test_each_send_gets_its_own_sid(twilio):
    first = send_sms(to=PATIENT_NUMBER, body="One")
    second = send_sms(to=PATIENT_NUMBER, body="Two")

    assert first.provider_message_id != second.provider_message_id
    assert [r.provider_message_id for r in twilio.requests] == [
        first.provider_message_id,
        second.provider_message_id,
    ]


def test_twilio_refuses_wrong_credentials_and_that_is_permanent(twilio, settings):
    settings.TWILIO_AUTH_TOKEN = "not-the-token"

    with pytest.raises(SmsDeliveryError, match="HTTP 401") as refused:
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert refused.value.transient is False
    assert refused.value.status_code == 401


# --- Failures: transient or permanent -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "transient"), [(500, True), (503, True), (429, True), (400, False), (404, False)]
)
def test_a_refusal_is_transient_only_for_5xx_and_429(twilio, status, transient):
    twilio.fail_next(status)

    with pytest.raises(SmsDeliveryError, match=f"HTTP {status}") as failed:
        send_sms(to=PATIENT_NUMBER, body=f"Your code is {ONE_TIME_CODE}")

    assert failed.value.transient is transient
    assert failed.value.status_code == status
    assert ONE_TIME_CODE not in str(failed.value)
    assert len(twilio.requests) == 1


def test_an_invalid_number_names_twilios_error_code(twilio):
    twilio.fail_next(400)

    with pytest.raises(SmsDeliveryError, match=r"HTTP 400 \(error code 21211\)"):
        send_sms(to="+100", body="Hello")


def test_the_next_send_after_a_failure_goes_through(twilio):
    twilio.fail_next(500, times=2)

    for _ in range(2):
        with pytest.raises(SmsDeliveryError):
            send_sms(to=PATIENT_NUMBER, body="Hello")
    sent = send_sms(to=PATIENT_NUMBER, body="Hello")

    assert [r.status for r in twilio.requests] == [500, 500, 201]
    assert sent.provider_message_id == twilio.requests[-1].provider_message_id


def test_an_outage_is_transient_and_the_same_port_answers_again_after_it(twilio):
    with twilio.outage():
        started = time.monotonic()
        with pytest.raises(SmsDeliveryError, match="could not be reached") as failed:
            send_sms(to=PATIENT_NUMBER, body="Hello")
        assert time.monotonic() - started < 5
    sent = send_sms(to=PATIENT_NUMBER, body="Hello")

    assert failed.value.transient is True
    assert [r.provider_message_id for r in twilio.requests] == [sent.provider_message_id]


def test_a_server_that_never_answers_times_out_as_transient(twilio, settings):
    silent_server = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    settings.TWILIO_API_URL = f"http://127.0.0.1:{silent_server.getsockname()[1]}"
    settings.SMS_BACKEND = f"{__name__}.QuickTimeoutTwilioBackend"
    started = time.monotonic()

    try:
        with pytest.raises(SmsDeliveryError, match="could not be reached") as failed:
            send_sms(to=PATIENT_NUMBER, body="Hello")
    finally:
        silent_server.close()

    assert failed.value.transient is True
    assert time.monotonic() - started < 5
    assert TwilioSmsBackend.timeout_seconds == 10


def test_failures_never_log_the_body_or_the_auth_token(twilio, caplog):
    caplog.set_level(logging.DEBUG)
    twilio.fail_next(400)

    with pytest.raises(SmsDeliveryError):
        send_sms(to=PATIENT_NUMBER, body=f"Your sign-in code is {ONE_TIME_CODE}")
    send_sms(to=PATIENT_NUMBER, body=f"Your sign-in code is {ONE_TIME_CODE}")

    assert "Twilio refused an SMS" in caplog.text
    assert "SMS accepted by Twilio" in caplog.text
    for record in caplog.records:
        assert ONE_TIME_CODE not in record.getMessage()
        assert ONE_TIME_CODE not in str(vars(record))
        assert twilio.auth_token not in str(vars(record))


# --- https only, except a stand-in on this machine -------------------------------------------


@pytest.mark.parametrize(
    "api_url",
    [
        "http://api.twilio.com",
        "http://192.0.2.10:8080",
        "ftp://127.0.0.1",
        "http://user:secret@127.0.0.1:9",
    ],
)
def test_plain_http_is_refused_except_on_loopback(twilio, settings, api_url):
    settings.TWILIO_API_URL = api_url

    with pytest.raises(SmsDeliveryError, match="must use https") as refused:
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert refused.value.transient is False
    assert twilio.requests == []


def test_plain_http_to_localhost_is_allowed(twilio, settings):
    settings.TWILIO_API_URL = f"http://localhost:{twilio.port}"

    send_sms(to=PATIENT_NUMBER, body="Hello")

    assert len(twilio.requests) == 1


@pytest.mark.parametrize(
    "missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"]
)
def test_missing_configuration_is_permanent_and_sends_nothing(twilio, settings, missing):
    setattr(settings, missing, "")

    with pytest.raises(SmsDeliveryError, match="not configured") as refused:
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert refused.value.transient is False
    assert twilio.requests == []


# --- Local backends return ids too ----------------------------------------------------------


def test_locmem_backend_returns_a_generated_id_kept_in_the_outbox(settings):
    settings.SMS_BACKEND = "core.sms.backends.locmem.SmsBackend"

    sent = send_sms(to=PATIENT_NUMBER, body="Hello", status_callback=STATUS_CALLBACK)

    assert re.fullmatch(r"locmem-[0-9a-f]{32}", sent.provider_message_id)
    assert sms.outbox == [sent]
    assert sms.outbox[0].status_callback == STATUS_CALLBACK


def test_file_backend_returns_a_generated_id_written_with_the_message(settings, tmp_path):
    settings.SMS_BACKEND = "core.sms.backends.filebased.SmsBackend"
    settings.VAR_DIR = tmp_path

    sent = send_sms(to=PATIENT_NUMBER, body="Hello")

    [line] = (tmp_path / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"file-[0-9a-f]{32}", sent.provider_message_id)
    assert json.loads(line)["id"] == sent.provider_message_id


# --- Twilio's webhook signature ----------------------------------------------------------------

WEBHOOK_URL = "https://hospital.example/webhooks/twilio/status?delivery=42"
WEBHOOK_PARAMS = {
    "MessageSid": "SM" + "ab" * 16,
    "MessageStatus": "delivered",
    "To": PATIENT_NUMBER,
    "AccountSid": "AC" + "cd" * 16,
}


@pytest.fixture
def auth_token(settings):
    settings.TWILIO_AUTH_TOKEN = "webhook-auth-token"
    return settings.TWILIO_AUTH_TOKEN


def test_a_twilio_signature_is_accepted(auth_token):
    signature = twilio_sign(auth_token, WEBHOOK_URL, WEBHOOK_PARAMS)

    assert twilio_signature_valid(url=WEBHOOK_URL, params=WEBHOOK_PARAMS, signature=signature)


def test_tampered_params_are_refused(auth_token):
    signature = twilio_sign(auth_token, WEBHOOK_URL, WEBHOOK_PARAMS)
    tampered = {**WEBHOOK_PARAMS, "MessageStatus": "failed"}

    assert not twilio_signature_valid(url=WEBHOOK_URL, params=tampered, signature=signature)


def test_another_url_is_refused(auth_token):
    signature = twilio_sign(auth_token, WEBHOOK_URL, WEBHOOK_PARAMS)
    other_url = WEBHOOK_URL.replace("delivery=42", "delivery=43")

    assert not twilio_signature_valid(url=other_url, params=WEBHOOK_PARAMS, signature=signature)


@pytest.mark.parametrize("signature", ["", "not-a-signature", "c2lnbmF0dXJl"])
def test_a_wrong_signature_is_refused(auth_token, signature):
    assert not twilio_signature_valid(url=WEBHOOK_URL, params=WEBHOOK_PARAMS, signature=signature)


def test_a_signature_made_with_another_token_is_refused(auth_token):
    signature = twilio_sign("another-token", WEBHOOK_URL, WEBHOOK_PARAMS)

    assert not twilio_signature_valid(url=WEBHOOK_URL, params=WEBHOOK_PARAMS, signature=signature)


def test_without_an_auth_token_nothing_is_accepted(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    signature = twilio_sign("", WEBHOOK_URL, WEBHOOK_PARAMS)

    assert not twilio_signature_valid(url=WEBHOOK_URL, params=WEBHOOK_PARAMS, signature=signature)
