"""The SMS adapter: locmem and file backends, `manage.py sms_outbox`, and the Twilio backend
against a real local HTTP server standing in for Twilio's Messages API."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import call_command

from core import sms
from core.sms import SmsDeliveryError, send_sms
from core.sms.backends.twilio import SmsBackend as TwilioSmsBackend

LOCMEM_BACKEND = "core.sms.backends.locmem.SmsBackend"
FILE_BACKEND = "core.sms.backends.filebased.SmsBackend"
TWILIO_BACKEND = "core.sms.backends.twilio.SmsBackend"

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "twilio-auth-token-for-tests"
FROM_NUMBER = "+15005550006"
PATIENT_NUMBER = "+48601234567"
ONE_TIME_CODE = "739154"


# --- A local stand-in for Twilio --------------------------------------------------------


@dataclass
class RecordedRequest:
    path: str
    authorization: str
    form: dict[str, list[str]]


@dataclass
class FakeTwilio:
    """What the stand-in answers, and every request it received."""

    url: str
    status: int = 201
    payload: dict[str, object] = field(default_factory=lambda: {"sid": "SM123"})
    requests: list[RecordedRequest] = field(default_factory=list)


def _handler_for(twilio: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class TwilioMessagesHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            twilio.requests.append(
                RecordedRequest(
                    path=self.path,
                    authorization=self.headers.get("Authorization", ""),
                    form=urllib.parse.parse_qs(body),
                )
            )
            answer = json.dumps(twilio.payload).encode()
            self.send_response(twilio.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep the test output quiet

    return TwilioMessagesHandler


@pytest.fixture
def fake_twilio(settings) -> Iterator[FakeTwilio]:
    twilio = FakeTwilio(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(twilio))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    twilio.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.SMS_BACKEND = TWILIO_BACKEND
    settings.TWILIO_API_URL = twilio.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_FROM_NUMBER = FROM_NUMBER
    yield twilio
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class QuickTimeoutTwilioBackend(TwilioSmsBackend):
    """The Twilio backend with a short timeout, so the test of a silent server is fast."""

    timeout_seconds = 1


# --- locmem -------------------------------------------------------------------------------


def test_locmem_backend_appends_the_message_to_the_outbox(settings):
    settings.SMS_BACKEND = LOCMEM_BACKEND
    sms.outbox.clear()

    message = send_sms(to=PATIENT_NUMBER, body=f"Your code is {ONE_TIME_CODE}")

    assert sms.outbox == [message]
    assert message.to == PATIENT_NUMBER
    assert message.body == f"Your code is {ONE_TIME_CODE}"
    assert message.sent_at.tzinfo is not None


# --- file backend and `manage.py sms_outbox` ----------------------------------------------


def test_file_backend_appends_one_json_line_per_message(settings, tmp_path):
    settings.SMS_BACKEND = FILE_BACKEND
    settings.VAR_DIR = tmp_path

    send_sms(to=PATIENT_NUMBER, body="First message")
    send_sms(to="+48609876543", body="Second message")

    lines = (tmp_path / "sms-outbox.jsonl").read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line) for line in lines]
    assert [(m["to"], m["body"]) for m in messages] == [
        (PATIENT_NUMBER, "First message"),
        ("+48609876543", "Second message"),
    ]
    assert all(m["sent_at"] for m in messages)


def test_sms_outbox_command_prints_the_messages(settings, tmp_path):
    settings.SMS_BACKEND = FILE_BACKEND
    settings.VAR_DIR = tmp_path
    send_sms(to=PATIENT_NUMBER, body="Your appointment is tomorrow at 09:30")
    send_sms(to="+48609876543", body="Your results are ready")
    out = StringIO()

    call_command("sms_outbox", stdout=out)

    printed = out.getvalue().splitlines()
    assert len(printed) == 2
    assert printed[0].endswith(f"to {PATIENT_NUMBER}: Your appointment is tomorrow at 09:30")
    assert printed[1].endswith("to +48609876543: Your results are ready")


def test_sms_outbox_command_filters_by_recipient(settings, tmp_path):
    settings.SMS_BACKEND = FILE_BACKEND
    settings.VAR_DIR = tmp_path
    send_sms(to=PATIENT_NUMBER, body="For the patient")
    send_sms(to="+48609876543", body="For someone else")
    out = StringIO()

    call_command("sms_outbox", "--to", PATIENT_NUMBER, stdout=out)

    printed = out.getvalue()
    assert "For the patient" in printed
    assert "For someone else" not in printed


def test_sms_outbox_command_without_a_file_says_nothing_was_sent(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()

    call_command("sms_outbox", stdout=out)

    assert out.getvalue().strip() == "No SMS has been sent yet."


# --- Twilio, against a local stand-in -------------------------------------------------------


def test_twilio_backend_posts_the_message_to_the_account_messages_endpoint(fake_twilio):
    send_sms(to=PATIENT_NUMBER, body=f"Your code is {ONE_TIME_CODE}")

    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    expected_credentials = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert request.authorization == f"Basic {expected_credentials}"
    assert request.form == {
        "To": [PATIENT_NUMBER],
        "From": [FROM_NUMBER],
        "Body": [f"Your code is {ONE_TIME_CODE}"],
    }


def test_twilio_refusing_the_message_raises_a_delivery_error(fake_twilio):
    fake_twilio.status = 400
    fake_twilio.payload = {"code": 21211, "message": "The 'To' number is not valid."}

    with pytest.raises(SmsDeliveryError, match="HTTP 400"):
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert len(fake_twilio.requests) == 1


def test_twilio_answering_without_a_message_sid_raises_a_delivery_error(fake_twilio):
    fake_twilio.status = 200
    fake_twilio.payload = {"status": "queued"}

    with pytest.raises(SmsDeliveryError, match="did not confirm"):
        send_sms(to=PATIENT_NUMBER, body="Hello")


@pytest.mark.parametrize(
    "missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"]
)
def test_twilio_without_configuration_raises_a_delivery_error_and_sends_nothing(
    fake_twilio, settings, missing
):
    setattr(settings, missing, "")

    with pytest.raises(SmsDeliveryError, match="not configured"):
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert fake_twilio.requests == []


def test_twilio_on_a_closed_port_raises_a_delivery_error_promptly(fake_twilio, settings):
    settings.TWILIO_API_URL = f"http://127.0.0.1:{_closed_port()}"
    started = time.monotonic()

    with pytest.raises(SmsDeliveryError, match="could not be reached"):
        send_sms(to=PATIENT_NUMBER, body="Hello")

    assert time.monotonic() - started < 5


def test_twilio_backend_gives_up_on_a_server_that_never_answers(fake_twilio, settings):
    silent_server = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    settings.TWILIO_API_URL = f"http://127.0.0.1:{silent_server.getsockname()[1]}"
    settings.SMS_BACKEND = f"{__name__}.QuickTimeoutTwilioBackend"
    started = time.monotonic()

    try:
        with pytest.raises(SmsDeliveryError, match="could not be reached"):
            send_sms(to=PATIENT_NUMBER, body="Hello")
    finally:
        silent_server.close()

    assert time.monotonic() - started < 5
    assert 0 < TwilioSmsBackend.timeout_seconds <= 30


def test_twilio_backend_never_logs_the_message_body(fake_twilio, caplog):
    caplog.set_level(logging.INFO)

    send_sms(to=PATIENT_NUMBER, body=f"Your sign-in code is {ONE_TIME_CODE}")

    assert "SMS accepted by Twilio" in caplog.text
    assert ONE_TIME_CODE not in caplog.text
    assert all(ONE_TIME_CODE not in str(vars(record)) for record in caplog.records)


def test_twilio_backend_never_logs_the_body_or_token_when_refused(fake_twilio, caplog):
    caplog.set_level(logging.INFO)
    fake_twilio.status = 400

    with pytest.raises(SmsDeliveryError):
        send_sms(to=PATIENT_NUMBER, body=f"Your sign-in code is {ONE_TIME_CODE}")

    assert "Twilio refused an SMS" in caplog.text
    assert ONE_TIME_CODE not in caplog.text
    assert AUTH_TOKEN not in caplog.text
