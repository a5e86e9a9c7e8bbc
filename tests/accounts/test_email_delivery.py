"""Account emails leave through Django's SMTP backend to a real SMTP server (a local sink),
as they do in production (SendGrid's SMTP relay)."""

from __future__ import annotations

import email
import re
import socket

import pytest
from aiosmtpd.controller import Controller
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


class _Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink(settings):
    sink = _Sink()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    yield sink
    controller.stop()


def test_the_password_reset_email_goes_out_over_smtp(smtp_sink, patient):
    response = APIClient().post(
        "/api/v1/auth/password/reset", {"email": patient.email}, format="json"
    )

    assert response.status_code == 202
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == patient.email
    assert "St. Example Hospital" in message["From"]
    body = (
        message.get_payload(decode=True)
        if not message.is_multipart()
        else message.get_payload(0).get_payload(decode=True)
    )
    assert re.search(rb"/accounts/password/reset/key/[^\s/]+/", body)


def test_verification_can_be_sent_again_but_not_more_than_once_every_few_minutes(
    smtp_sink, patient
):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=patient).update(verified=False)
    api = APIClient()

    first = api.post("/api/v1/auth/email/verify/resend", {"email": patient.email}, format="json")
    second = api.post("/api/v1/auth/email/verify/resend", {"email": patient.email}, format="json")
    unknown = api.post(
        "/api/v1/auth/email/verify/resend", {"email": "nobody@example.org"}, format="json"
    )

    assert first.status_code == second.status_code == unknown.status_code == 202
    assert first.json() == unknown.json()
    assert len(smtp_sink.messages) == 1
