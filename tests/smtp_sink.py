"""A real SMTP server on loopback that keeps what it accepts: the sink the notification
tests count messages at. It can be stopped and started again on the same port (the mail
server going away and coming back) and made slow (a send that takes time)."""

from __future__ import annotations

import asyncio
import email
import email.message
import threading
import time
from email import policy

from aiosmtpd.controller import Controller

from tests.tcp_proxy import free_port


class SmtpSink:
    def __init__(self, *, delay_seconds: float = 0.0) -> None:
        self.port = free_port()
        self.delay_seconds = delay_seconds
        self._messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None
        # Transactions begun (MAIL FROM) and those that ended with the message accepted.
        self.transactions_begun = 0
        # The client ends (address, port) that delivered messages: one per connection.
        self.connections: set[tuple[object, ...]] = set()
        self._hold_after: int | None = None
        self._hold_at = "rcpt"
        self.holding = threading.Event()
        self._release = threading.Event()

    def hold_after(self, count: int, *, at: str = "rcpt") -> None:
        """Once ``count`` messages are in, the server stops answering (until ``release``) and
        sets ``holding``: at "rcpt", a sender is inside a transaction before its end of DATA;
        at "data", the server has the whole message but has not said so yet."""
        self._hold_after = count
        self._hold_at = at

    async def _hold(self, at: str) -> None:
        if (
            self._hold_at == at
            and self._hold_after is not None
            and self.count() >= self._hold_after
        ):
            self.holding.set()
            while not self._release.is_set():
                await asyncio.sleep(0.01)

    def release(self) -> None:
        self._hold_after = None
        self._release.set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        with self._lock:
            self.transactions_begun += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        await self._hold("rcpt")
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def transactions_cut(self) -> int:
        """Transactions begun whose message never arrived (the sender went away mid-way)."""
        return self.transactions_begun - self.count()

    # aiosmtpd calls this once the final "." of DATA has arrived (a connection that drops
    # inside DATA never gets here: the message is discarded).
    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self._messages.append(message)
            self.connections.add(tuple(session.peer))
        await self._hold("data")
        return "250 2.0.0 Ok: queued"

    def start(self) -> SmtpSink:
        if self._controller is None:
            self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return list(self._messages)

    def count(self) -> int:
        with self._lock:
            return len(self._messages)

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address.lower() in str(m["To"]).lower()]

    def environment(self) -> dict[str, str]:
        """What a worker needs to send to this sink."""
        return {"EMAIL_BACKEND": "smtp", "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(self.port)}

    def text_of(self, message: email.message.EmailMessage) -> str:
        part = message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""
