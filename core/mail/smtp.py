"""Django's SMTP backend, plus a send in two steps for senders that record what they sent.

``stage_message`` runs the SMTP conversation up to the last line of DATA and stops: the
server holds the message but has not accepted it. ``StagedSmtpSend.complete`` sends the final
"." and reads the server's answer. A caller that records "sent" in its database between the
two gets one of two outcomes if its process dies at any moment: no commit and no message (the
server discards a transaction whose connection closes inside DATA, RFC 5321 4.1.1.4), or a
commit and the message, except in the instant between the commit and the "." leaving.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
import time
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend
from django.core.mail.message import sanitize_address


class SmtpRefused(Exception):
    """The server answered a command with a refusal. ``permanent`` for 5xx answers."""

    def __init__(self, code: int, reply: bytes | str, *, stage: str) -> None:
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else reply
        super().__init__(f"SMTP {code} at {stage}: {text[:200]}")
        self.code = code
        self.permanent = 500 <= code < 600


# One open connection per process and server, reused by the next message (a worker sends many:
# connecting, EHLO, STARTTLS and AUTH are most of a message's round trips). A connection the
# server closed while idle fails at MAIL FROM, before anything of a message was sent, and is
# replaced once.
_IDLE: dict[tuple[str, int, str], tuple[smtplib.SMTP, float]] = {}
_IDLE_SECONDS = 60.0
_lock = threading.Lock()


def _take_idle(key: tuple[str, int, str]) -> smtplib.SMTP | None:
    with _lock:
        idle = _IDLE.pop(key, None)
    if idle is None:
        return None
    connection, since = idle
    if time.monotonic() - since > _IDLE_SECONDS:
        _quietly_close(connection)
        return None
    return connection


def _keep_idle(key: tuple[str, int, str], connection: smtplib.SMTP) -> None:
    with _lock:
        previous = _IDLE.pop(key, None)
        _IDLE[key] = (connection, time.monotonic())
    if previous is not None:
        _quietly_close(previous[0])


def _quietly_close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        with contextlib.suppress(OSError):
            connection.close()


class StagedSmtpSend:
    """One message, sent up to the end of DATA on a connection of its own (a new one, or an
    idle one of this process); ``complete`` hands the connection back for the next."""

    def __init__(self, connection: smtplib.SMTP, key: tuple[str, int, str] | None = None) -> None:
        self._connection = connection
        self._key = key
        self.reply = ""

    def complete(self) -> str:
        """Send the final "." and return the server's answer (its queue id, usually)."""
        try:
            self._connection.send(b".\r\n")
            code, reply = self._connection.getreply()
        except (smtplib.SMTPException, OSError):
            self.abort()
            raise
        if code != 250:
            self.abort()
            raise SmtpRefused(code, reply, stage="end of data")
        self.reply = reply.decode(errors="replace")
        if self._key is not None:
            _keep_idle(self._key, self._connection)
        else:
            self.close()
        return self.reply

    def abort(self) -> None:
        """Drop the connection inside DATA: the server discards the message."""
        with contextlib.suppress(OSError):
            self._connection.close()

    def close(self) -> None:
        _quietly_close(self._connection)


class EmailBackend(DjangoSmtpBackend):
    """Django's SMTP backend (``send_messages`` as Django's), with ``stage_message``."""

    def stage_message(self, message: EmailMessage) -> StagedSmtpSend:
        """Send ``message`` up to its final "." on an idle connection of this process or a
        new one. Raises SmtpRefused, smtplib's errors or OSError (nothing was accepted then)."""
        encoding = message.encoding or "utf-8"
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(address, encoding) for address in message.recipients()]
        key = (str(self.host), int(self.port), str(self.username or ""))
        connection = _take_idle(key)
        if connection is not None:
            try:
                code, reply = connection.mail(sender)
            except (smtplib.SMTPServerDisconnected, OSError):
                _quietly_close(connection)  # closed while idle: a new one below
                connection = None
            else:
                if code != 250:
                    # Not a refusal of this message necessarily (a server that timed the
                    # session out answers 421): start afresh on a new connection.
                    _quietly_close(connection)
                    connection = None
        if connection is None:
            connection = self._open()
            staged = StagedSmtpSend(connection, key)
            try:
                code, reply = connection.mail(sender)
            except BaseException:
                staged.abort()
                raise
        staged = StagedSmtpSend(connection, key)
        try:
            if code != 250:
                raise SmtpRefused(code, reply, stage="MAIL FROM")
            for recipient in recipients:
                code, reply = connection.rcpt(recipient)
                if code not in (250, 251):
                    raise SmtpRefused(code, reply, stage="RCPT TO")
            code, reply = connection.docmd("data")
            if code != 354:
                raise SmtpRefused(code, reply, stage="DATA")
            # As smtplib.SMTP.data does, without the final ".".
            data = smtplib._quote_periods(  # type: ignore[attr-defined]
                message.message().as_bytes(linesep="\r\n")
            )
            if data[-2:] != b"\r\n":
                data += b"\r\n"
            connection.send(data)
        except BaseException:
            staged.abort()
            raise
        return staged

    def _open(self) -> smtplib.SMTP:
        connection_class: type[smtplib.SMTP] = smtplib.SMTP_SSL if self.use_ssl else smtplib.SMTP
        connection = connection_class(
            self.host,
            self.port,
            timeout=float(self.timeout) if self.timeout else 30.0,
            **self._connection_arguments(),
        )
        try:
            if not self.use_ssl and self.use_tls:
                connection.starttls(context=self._ssl_context())
            if self.username and self.password:
                connection.login(self.username, self.password)
            connection.ehlo_or_helo_if_needed()
        except BaseException:
            _quietly_close(connection)
            raise
        return connection

    def _connection_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {}
        if self.use_ssl:
            arguments["context"] = self._ssl_context()
        return arguments

    def _ssl_context(self) -> ssl.SSLContext:
        # Django's (certificate and key files from the settings); django-stubs omits it.
        context: ssl.SSLContext = getattr(self, "ssl_context")  # noqa: B009
        return context
