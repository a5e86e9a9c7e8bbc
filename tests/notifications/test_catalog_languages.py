"""Every message in Spanish and Arabic: the wording is shipped for every kind and channel, renders
with the kind's sample data through the real rendering, uses only what the English uses, and
reaches a patient who prefers Arabic in Arabic, with the day named in Arabic."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from notifications import catalog, subscribers
from notifications.models import Channel, Delivery, Notification
from notifications.services.rendering import (
    Rendered,
    context_for_storage,
    render_message,
    sms_segments,
)
from notifications.services.sweeping import deliveries_sweep
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory
from tests.notifications.conftest import verified_phone_for

LANGUAGES = ("es", "ar")
ARABIC_LETTER = re.compile("[\u0621-\u064a]")
# Day names as Django writes them with the language active.
MONDAY_IN = {"en": "Monday", "es": "lunes", "ar": "\u0627\u0644\u0627\u062b\u0646\u064a\u0646"}

WORDED = [kind for kind in catalog.KINDS.values() if kind.kind != catalog.MAIL_KIND]
CASES = [
    pytest.param(kind.kind, channel, language, id=f"{kind.kind}-{channel}-{language}")
    for kind in WORDED
    for channel in kind.channels
    for language in LANGUAGES
]

_OUTPUT = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_CONDITION = re.compile(r"\{%\s*(?:if|elif)\s+(.*?)\s*%\}")
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_NAME = re.compile(r"[A-Za-z_]\w*")
_OPERATORS = {"and", "or", "not", "in", "is", "None", "True", "False"}


_ESCAPED = re.compile(r"\\.")


def outputs(source: str) -> set[str]:
    """Each ``{{ ... }}`` as written: the variable with its filters and their arguments; the
    words a date format escapes (Spanish "l j \\d\\e F": "lunes 6 de abril") left out, so the
    same date parts are compared."""
    return {" ".join(_ESCAPED.sub("", output).split()) for output in _OUTPUT.findall(source)}


def names(source: str) -> set[str]:
    """The context variables a template reads, in outputs and in conditions."""
    found: set[str] = set()
    for expression in outputs(source):
        name = _NAME.match(expression)
        assert name, expression
        found.add(name.group())
    for condition in _CONDITION.findall(source):
        found |= set(_NAME.findall(_QUOTED.sub(" ", condition))) - _OPERATORS
    return found


def rendered(kind: str, channel: str, language: str, **changes: object) -> Rendered:
    """The message as a worker renders it: the context as stored, the worker's language
    English; the rendering switches to the message's own."""
    context = context_for_storage({**catalog.message_kind(kind).sample, **changes})
    with translation.override("en"):
        return render_message(kind=kind, channel=channel, language=language, context=context)


def test_every_kind_has_spanish_and_arabic_wording_for_each_of_its_channels():
    for kind in WORDED:
        assert set(kind.wording["en"]) == set(kind.channels), kind.kind
        for language in LANGUAGES:
            assert set(kind.wording.get(language, {})) == set(kind.channels), (
                kind.kind,
                language,
            )


@pytest.mark.parametrize(("kind", "channel", "language"), CASES)
def test_the_wording_reads_only_what_the_english_reads(kind, channel, language):
    message_kind = catalog.message_kind(kind)
    english = "\n".join(message_kind.wording["en"][channel])
    translated = "\n".join(message_kind.wording[language][channel])

    # The same variables with the same filters (dates "l j F Y" as in English, "de" aside).
    assert outputs(translated) <= outputs(english)
    assert names(translated) <= names(english) <= set(message_kind.sample)
    if channel != Channel.SMS:
        # Only an SMS leaves names out (the clinician's, the type's: two segments at most).
        assert names(translated) == names(english)


@pytest.mark.parametrize(("kind", "channel", "language"), CASES)
def test_the_wording_renders_with_the_sample_data_in_its_language(db, kind, channel, language):
    message = rendered(kind, channel, language)
    english = rendered(kind, channel, "en")
    words = f"{message.subject}\n{message.text}"

    assert message.text
    assert "{" not in words and "}" not in words
    assert words != f"{english.subject}\n{english.text}"
    if channel != Channel.SMS:
        assert message.subject
    if language == "ar":
        assert ARABIC_LETTER.search(message.text), message.text
        if channel != Channel.SMS:
            assert ARABIC_LETTER.search(message.subject), message.subject
    else:
        assert not ARABIC_LETTER.search(words)
    if MONDAY_IN["en"] in english.text:
        assert MONDAY_IN[language] in message.text
        assert MONDAY_IN["en"] not in message.text
    for link in ("link", "accept_link", "booking_link"):
        value = catalog.message_kind(kind).sample.get(link)
        if value and str(value) in english.text:
            assert str(value) in message.text, link


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [k.kind for k in WORDED if Channel.SMS in k.channels])
def test_an_sms_is_sent_whole_and_no_longer_than_the_english(db, kind, language):
    message = rendered(kind, Channel.SMS, language)
    english = rendered(kind, Channel.SMS, "en")

    assert "..." not in message.text  # not cut to two segments by the rendering
    assert sms_segments(message.text) <= 2
    if language == "es":  # GSM-7 once accents are folded, as the English
        assert sms_segments(message.text) <= sms_segments(english.text)
    assert message.text.split()[-1].startswith("https://")  # the link, last and whole


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_branch_of_a_conditional_message_is_worded(db, language):
    for channel in (Channel.EMAIL, Channel.IN_APP):
        by_change = {
            change: rendered("schedule.changed", channel, language, change=change).subject
            + rendered("schedule.changed", channel, language, change=change).text
            for change in ("booked", "moved", "cancelled")
        }
        assert len(set(by_change.values())) == 3, by_change
    by_patient = rendered("appointment.cancelled", Channel.EMAIL, language, by_staff=False)
    by_staff = rendered("appointment.cancelled", Channel.EMAIL, language)
    assert by_patient.text != by_staff.text
    assert "The clinic is closed." in by_staff.text
    quiet = rendered("appointment.cancelled", Channel.SMS, language, by_staff=False)
    assert "/appointments/book/" not in quiet.text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["security.factor_added", "security.factor_removed"])
def test_a_sign_in_method_is_named_in_the_readers_language(db, kind, language):
    # subscribers names the method in English; the wording names it again in its language.
    for factor in [*subscribers._FACTOR_NAMES.values(), "a sign-in method"]:
        message = rendered(kind, Channel.IN_APP, language, factor=factor)
        assert factor.lower() not in message.text.lower(), (factor, message.text)


@pytest.mark.django_db
def test_a_patient_who_prefers_arabic_gets_the_booking_and_reminder_in_arabic(
    practitioner, consultation, django_capture_on_commit_callbacks, sms_outbox
):
    patient = PatientProfileFactory.create(preferred_language="ar").user
    verified_phone_for(patient)

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        appointment = book(patient, practitioner, consultation, at(MONDAY, 9))
    [email] = [m for m in mail.outbox if m.to == [patient.email]]
    with (
        time_machine.travel(at(MONDAY, 7), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        deliveries_sweep()

    assert set(Delivery.objects.filter(recipient=patient).values_list("language", flat=True)) == {
        "ar"
    }
    path = f"/appointments/{appointment.public_id}/"
    # Monday 2 March 2026, 09:00 in London: the day and month named in Arabic.
    assert email.subject == (
        "[St. Example Hospital] \u062a\u0645 \u062d\u062c\u0632 \u0645\u0648\u0639\u062f\u0643: "
        "\u0625\u062b\u0646\u064a\u0646 2 \u0645\u0627\u0631\u0633 09:00"
    )
    assert MONDAY_IN["ar"] + " 2 \u0645\u0627\u0631\u0633 2026" in email.body
    assert "Consultation \u0645\u0639 " + practitioner.display_name in email.body
    assert path in email.body
    assert "Monday" not in email.body and "March" not in email.body
    notification = Notification.objects.get(recipient=patient, kind="appointment.booked")
    assert (
        notification.title == "\u062a\u0645 \u062d\u062c\u0632 \u0627\u0644\u0645\u0648\u0639\u062f"
    )
    assert MONDAY_IN["ar"] in notification.body
    # The reminders by SMS (on by default for a verified phone): Arabic, whole, link last.
    assert sms_outbox
    for sms in sms_outbox:
        assert sms.body.startswith("\u062a\u0630\u0643\u064a\u0631 \u0628\u0645\u0648\u0639\u062f ")
        assert "\u0625\u062b\u0646\u064a\u0646 2 \u0645\u0627\u0631\u0633 09:00" in sms.body
        assert sms.body.endswith(path) and "..." not in sms.body


@pytest.mark.django_db
def test_an_arabic_email_reads_right_to_left_and_an_english_one_is_left_as_it_is():
    from notifications.catalog import KINDS
    from notifications.services.rendering import render_message

    kind = KINDS["appointment.booked"]
    arabic = render_message(kind=kind.kind, channel="email", language="ar", context=kind.sample)
    english = render_message(kind=kind.kind, channel="email", language="en", context=kind.sample)

    assert arabic.html.startswith('<div dir="rtl" lang="ar">')
    assert "dir=" not in english.html
