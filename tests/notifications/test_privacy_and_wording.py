"""What messages may say and where their words may go: every shipped SMS fits two segments with
long names, no body reaches the logs, nothing clinical reaches a template's context."""

from __future__ import annotations

import logging

import pytest
import time_machine
from django.core import mail

from accounts.models import SmsDevice
from notifications import catalog
from notifications.models import Channel, Delivery
from notifications.services.rendering import (
    render_message,
    sms_segments,
    sms_within_two_segments,
)
from notifications.services.sweeping import deliveries_sweep
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory

LONG = {
    "site_name": "St. Example Hospital",
    "recipient_name": "Maximiliana Wolfeschlegelsteinhausenberger-Dorff",
    "type_name": "Cardiology follow-up with echocardiogram",
    "clinician_name": "Prof. Dr Anna-Katharina Müller-Lüdenscheidt",
    "department_name": "Cardiology and Vascular Medicine",
    "start": "2026-03-30T08:30:00+00:00",
    "end": "2026-03-30T09:00:00+00:00",
    "previous_start": "2026-03-29T08:30:00+00:00",
    "hold_expires_at": "2026-03-28T10:00:00+00:00",
    "time_zone": "America/Argentina/Buenos_Aires",
    "link": "https://hospital.example/appointments/9d2f6c1a-3b4e-4f5a-8b6c-7d8e9f0a1b2c/",
    "accept_link": "https://hospital.example/appointments/waitlist/#offer-9d2f6c1a-3b4e-4f5a-8b6c-7d8e9f0a1b2c",
    "booking_link": "https://hospital.example/appointments/book/",
    "by_staff": True,
    "reason": "",
    "hours_before": 24,
}


@pytest.mark.parametrize(
    ("kind", "language"),
    [
        (kind.kind, language)
        for kind in catalog.KINDS.values()
        if Channel.SMS in kind.channels
        for language in kind.wording
    ],
)
def test_every_shipped_sms_fits_two_segments_with_long_names(db, kind, language):
    rendered = render_message(kind=kind, channel=Channel.SMS, language=language, context=LONG)

    assert sms_segments(rendered.text) <= 2, rendered.text
    assert rendered.text.rstrip().endswith(("/", ".", "c"))  # the link is whole


def test_a_message_too_long_for_two_segments_is_cut_keeping_its_link():
    link = "https://hospital.example/a/9d2f6c1a-3b4e-4f5a-8b6c-7d8e9f0a1b2c/"
    text = "word " * 120 + link

    cut = sms_within_two_segments(text)

    assert sms_segments(cut) == 2
    assert cut.endswith("... " + link)
    assert sms_segments("ü" * 160) == 1  # GSM-7 has ü
    assert sms_segments("ó" * 71) == 2  # ó is not: UCS-2, 70 a segment


@pytest.mark.django_db
def test_no_message_body_reaches_the_logs(
    practitioner, consultation, caplog, django_capture_on_commit_callbacks, sms_outbox
):
    patient = PatientProfileFactory.create().user
    SmsDevice.objects.create(user=patient, name="phone", number="+447700900123", confirmed=True)
    caplog.set_level(logging.DEBUG)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        book(patient, practitioner, consultation, at(MONDAY, 9), reason="Chest pain")
    with (
        time_machine.travel(at(MONDAY, 7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deliveries_sweep()

    assert mail.outbox and sms_outbox
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for message in mail.outbox:
        assert str(message.subject) not in logged
        assert message.body.splitlines()[2] not in logged  # the appointment's line
    for sms in sms_outbox:
        assert sms.body not in logged
    assert "Chest pain" not in logged
    assert patient.email not in logged
    assert "+447700900123" not in logged
    # Nor in what is stored to render them.
    for delivery in Delivery.objects.all():
        assert "Chest pain" not in str(delivery.context)


def test_contexts_name_no_clinical_field():
    clinical = {"reason", "notes", "diagnosis", "reason_for_visit"}
    for kind in catalog.KINDS.values():
        named = set(kind.sample) - {"reason"}  # "reason": staff's cancellation reason
        assert not named & clinical, kind.kind
