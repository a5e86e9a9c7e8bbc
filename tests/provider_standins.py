"""Local stand-ins for SendGrid's and Twilio's APIs: real HTTP servers on 127.0.0.1 that
answer like the providers and record every request, plus the providers' webhook signing.

    with SendGridStandIn() as sendgrid:
        settings.SENDGRID_API_URL = sendgrid.url
        ...send...
        [request] = sendgrid.requests          # RecordedRequest: path, headers, body
        sendgrid.fail_next(500, times=2)       # the next two requests answer HTTP 500
        with sendgrid.outage():                # nothing listens on the port meanwhile
            ...

``TwilioStandIn`` works the same way; point TWILIO_API_URL at its ``url`` and use its
``account_sid``/``auth_token`` (``configure(settings)`` does both).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class RecordedRequest:
    """One request a stand-in received, and what it answered."""

    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    raw_body: bytes
    # SendGrid: the JSON document; Twilio: the form fields (the last value of each name).
    body: Any
    status: int  # what the stand-in answered
    provider_message_id: str  # the X-Message-Id or SID it answered with, "" on a failure


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]
    provider_message_id: str = ""


class _StandIn:
    """A threaded HTTP server on 127.0.0.1 that keeps its port across stop() and start()."""

    def __init__(self) -> None:
        self.port = 0
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: collections.deque[int] = collections.deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((LOOPBACK, self.port), self._handler_class())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._server is not None

    @contextmanager
    def outage(self) -> Iterator[None]:
        """Nothing listens on the port inside the block (connections are refused); the
        stand-in listens on the same port again afterwards."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("Start the stand-in first: it has no port yet.")
        return f"http://{LOOPBACK}:{self.port}"

    # --- what it received, how it answers ----------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()
            self._failures.clear()

    def fail_next(self, status: int, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (e.g. 500, 429, 400) and the
        provider's error document for it, instead of accepting them."""
        with self._lock:
            self._failures.extend([status] * times)

    def wait_for_requests(self, count: int, timeout: float = 5) -> list[RecordedRequest]:
        """Wait until at least ``count`` requests arrived (sends from another thread)."""
        deadline = time.monotonic() + timeout
        while len(received := self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(received)} requests arrived, expected {count}")
            time.sleep(0.01)
        return received

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next_failure(self) -> int | None:
        with self._lock:
            return self._failures.popleft() if self._failures else None

    # --- provider-specific ---------------------------------------------------------------

    def _parse_body(self, headers: dict[str, str], raw_body: bytes) -> Any:
        raise NotImplementedError

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        raise NotImplementedError

    def _failure(self, status: int) -> Answer:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw_body = self.rfile.read(length) if length else b""
                split = urllib.parse.urlsplit(self.path)
                headers = {name.lower(): value for name, value in self.headers.items()}
                body = stand_in._parse_body(headers, raw_body)
                failure = stand_in._next_failure()
                answer = (
                    stand_in._failure(failure)
                    if failure is not None
                    else stand_in._answer(self.command, split.path, headers, body)
                )
                stand_in._record(
                    RecordedRequest(
                        method=self.command,
                        path=split.path,
                        query=urllib.parse.parse_qs(split.query),
                        headers=headers,
                        raw_body=raw_body,
                        body=body,
                        status=answer.status,
                        provider_message_id=answer.provider_message_id,
                    )
                )
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep the test output quiet

        return Handler


def _json_answer(
    status: int, document: object, headers: dict[str, str] | None = None, message_id: str = ""
) -> Answer:
    return Answer(
        status=status,
        body=json.dumps(document).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        provider_message_id=message_id,
    )


# --- SendGrid -------------------------------------------------------------------------------


class SendGridStandIn(_StandIn):
    """SendGrid's v3 Mail Send (POST /v3/mail/send): 202, no body, an X-Message-Id header.
    A request without ``Authorization: Bearer <api_key>`` is answered 401, like SendGrid."""

    mail_send_path = "/v3/mail/send"

    def __init__(self, api_key: str = "SG.stand-in-api-key") -> None:
        super().__init__()
        self.api_key = api_key

    def configure(self, settings: Any) -> None:
        """Point the SendGrid backend at this stand-in (pytest-django's ``settings``)."""
        settings.SENDGRID_API_URL = self.url
        settings.SENDGRID_API_KEY = self.api_key

    def _parse_body(self, headers: dict[str, str], raw_body: bytes) -> Any:
        try:
            return json.loads(raw_body) if raw_body else None
        except ValueError:
            return None

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return self._error(
                401, "The provided authorization grant is invalid, expired, or revoked", None
            )
        if (method, path) != ("POST", self.mail_send_path):
            return self._error(404, "Not found", None)
        if not isinstance(body, dict) or not body.get("personalizations"):
            return self._error(400, "The personalizations field is required.", "personalizations")
        # SendGrid's ids are 22 url-safe base64 characters.
        message_id = secrets.token_urlsafe(16)[:22]
        return Answer(202, b"", {"X-Message-Id": message_id}, provider_message_id=message_id)

    def _failure(self, status: int) -> Answer:
        messages = {429: "too many requests", 400: "Does not contain a valid address."}
        field = "personalizations.0.to.0.email" if status == 400 else None
        headers = {"Retry-After": "1"} if status == 429 else {}
        return self._error(status, messages.get(status, "internal server error"), field, headers)

    def _error(
        self, status: int, message: str, field: str | None, headers: dict[str, str] | None = None
    ) -> Answer:
        return _json_answer(
            status, {"errors": [{"message": message, "field": field, "help": None}]}, headers
        )


# --- Twilio ---------------------------------------------------------------------------------


class TwilioStandIn(_StandIn):
    """Twilio's Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json): 201 with
    the message resource (sid "SM" + 32 hex, status "queued"). Requests must carry HTTP Basic
    credentials account_sid:auth_token, or are answered 401 like Twilio."""

    def __init__(
        self,
        account_sid: str = "AC" + "0123456789abcdef" * 2,
        auth_token: str = "stand-in-auth-token",  # noqa: S107 - the stand-in's own
        from_number: str = "+15005550006",
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number

    @property
    def messages_path(self) -> str:
        return f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def configure(self, settings: Any) -> None:
        """Point the Twilio backend at this stand-in (pytest-django's ``settings``)."""
        settings.SMS_BACKEND = "core.sms.backends.twilio.SmsBackend"
        settings.TWILIO_API_URL = self.url
        settings.TWILIO_ACCOUNT_SID = self.account_sid
        settings.TWILIO_AUTH_TOKEN = self.auth_token
        settings.TWILIO_FROM_NUMBER = self.from_number

    def _parse_body(self, headers: dict[str, str], raw_body: bytes) -> Any:
        return dict(urllib.parse.parse_qsl(raw_body.decode(errors="replace")))

    def _answer(self, method: str, path: str, headers: dict[str, str], body: Any) -> Answer:
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if headers.get("authorization") != f"Basic {credentials}":
            return self._error(401, 20003, "Authenticate")
        if (method, path) != ("POST", self.messages_path):
            return self._error(404, 20404, "The requested resource was not found")
        if not body.get("To") or not body.get("Body") or not body.get("From"):
            return self._error(400, 21604, "A 'To' phone number is required.")
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(tz=UTC))
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body["Body"],
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": body["From"],
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "status": "queued",
            "subresource_uris": {"media": f"{path[: -len('.json')]}/{sid}/Media.json"},
            "to": body["To"],
            "uri": f"{path[: -len('.json')]}/{sid}.json",
        }
        return _json_answer(201, message, message_id=sid)

    def _failure(self, status: int) -> Answer:
        if status == 400:
            return self._error(400, 21211, "The 'To' number is not a valid phone number.")
        if status == 429:
            return self._error(429, 20429, "Too Many Requests")
        return self._error(status, 20500, "An internal server error has occurred")

    def _error(self, status: int, code: int, message: str) -> Answer:
        return _json_answer(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )


# --- Webhook signatures, made the way the providers make them -----------------------------


def sendgrid_signing_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A new ECDSA P-256 key pair: the private key, and the public key as base64 DER (the
    format SendGrid shows and SENDGRID_WEBHOOK_PUBLIC_KEY takes)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_der = private_key.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    )
    return private_key, base64.b64encode(public_der).decode()


def sendgrid_sign(private_key: ec.EllipticCurvePrivateKey, payload: bytes, timestamp: str) -> str:
    """The X-Twilio-Email-Event-Webhook-Signature SendGrid sends with ``payload`` (the raw
    request body) and ``timestamp`` (X-Twilio-Email-Event-Webhook-Timestamp)."""
    signature = private_key.sign(timestamp.encode() + payload, ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(signature).decode()


def twilio_sign(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio sends with a webhook POST of ``params`` to ``url``:
    HMAC-SHA1 with the auth token over the URL followed by each name and value, sorted by
    name, base64-encoded (Twilio's documented algorithm)."""
    signed = url + "".join(name + params[name] for name in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
