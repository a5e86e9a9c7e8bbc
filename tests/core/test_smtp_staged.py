"""core.mail.smtp: a message sent in two steps (up to the end of DATA, then the final "."),
on a connection the process keeps for the next message, against a real SMTP server."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage

from core.mail import smtp
from tests.smtp_sink import SmtpSink


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()
    for connection, _ in list(smtp._IDLE.values()):
        smtp._quietly_close(connection)
    smtp._IDLE.clear()


def backend(sink: SmtpSink) -> smtp.EmailBackend:
    return smtp.EmailBackend(host="127.0.0.1", port=sink.port, use_tls=False, timeout=5)


def message(number: int) -> EmailMessage:
    return EmailMessage(
        f"Message {number}", "Body.", "from@example.org", [f"to{number}@example.org"]
    )


def test_staged_messages_arrive_only_when_completed_and_share_one_connection(sink):
    staged = backend(sink).stage_message(message(1))
    assert sink.count() == 0  # held inside DATA

    staged.complete()
    for number in (2, 3):
        backend(sink).stage_message(message(number)).complete()

    assert [str(m["Subject"]) for m in sink.messages] == ["Message 1", "Message 2", "Message 3"]
    assert len(sink.connections) == 1


def test_an_aborted_send_delivers_nothing(sink):
    backend(sink).stage_message(message(1)).abort()
    backend(sink).stage_message(message(2)).complete()

    assert [str(m["Subject"]) for m in sink.messages] == ["Message 2"]


def test_a_connection_the_server_closed_while_idle_is_replaced(sink):
    backend(sink).stage_message(message(1)).complete()
    sink.stop()  # the server goes away, and with it the idle connection
    sink.start()

    backend(sink).stage_message(message(2)).complete()

    assert [str(m["Subject"]) for m in sink.messages] == ["Message 1", "Message 2"]
    assert len(sink.connections) == 2


def test_a_refused_recipient_is_a_permanent_refusal_and_the_next_message_goes(sink):
    async def refuse(server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    sink.handle_RCPT = refuse
    refused = EmailMessage("x", "y", "from@example.org", ["nobody@example.org"])

    with pytest.raises(smtp.SmtpRefused) as error:
        backend(sink).stage_message(refused)
    backend(sink).stage_message(message(2)).complete()

    assert error.value.permanent
    assert [str(m["Subject"]) for m in sink.messages] == ["Message 2"]
