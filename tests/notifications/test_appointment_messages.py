"""What each change to an appointment tells whom: exactly the expected messages, in the
patient's language and time zone, with nothing clinical in them."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail

from accounts.models import User
from appointments.models import Appointment
from appointments.services import booking, status, waitlist
from core import events
from core.models import OutboxMessage
from notifications.models import Delivery, Notification
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory, UserFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what a commit triggers (outbox relay, subscribers, sends), repeatedly: a send
    queued by a subscriber is itself run after its own commit."""

    def run(action):
        with (
            time_machine.travel(NOW, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            result = action()
        return result

    return run


def patient_speaking(language: str = "en", zone: str = "") -> User:
    return PatientProfileFactory.create(preferred_language=language, time_zone=zone).user


def messages_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


def test_a_booking_sends_a_confirmation_by_email_and_in_app_and_schedules_two_reminders(
    practitioner, consultation, after_commit
):
    patient = patient_speaking()

    appointment = after_commit(
        lambda: book(patient, practitioner, consultation, at(MONDAY, 9), reason="Chest pain")
    )

    [email] = messages_to(patient.email)
    assert email.subject == "[St. Example Hospital] Your appointment is booked: Mon 2 Mar 09:00"
    assert "Consultation with " + practitioner.display_name in email.body
    assert "Monday 2 March 2026, 09:00 (Europe/London)" in email.body
    assert f"/appointments/{appointment.public_id}/" in email.body
    # Nothing clinical: the reason for the visit is never in a message.
    html = email.alternatives[0][0]
    assert "Chest pain" not in email.body and "Chest pain" not in html
    [notification] = Notification.objects.filter(recipient=patient)
    assert notification.title == "Appointment booked"
    assert notification.link == f"/appointments/{appointment.public_id}/"
    reminders = Delivery.objects.filter(kind="appointment.reminder", status="pending")
    assert sorted({d.next_attempt_at for d in reminders}) == [
        at(MONDAY, 9) - datetime.timedelta(hours=24),
        at(MONDAY, 9) - datetime.timedelta(hours=2),
    ]
    # SMS is off by default for confirmations, and this patient has no verified phone.
    assert not Delivery.objects.filter(channel="sms").exists()


def test_the_patients_language_and_time_zone_are_used(practitioner, consultation, after_commit):
    # A patient in New York, writing Spanish; the appointment is in London in summer time.
    patient = patient_speaking("es", "America/New_York")
    summer_monday = datetime.date(2026, 4, 6)
    start = datetime.datetime.combine(summer_monday, datetime.time(9), tzinfo=LONDON)

    with time_machine.travel(NOW, tick=False):
        after_commit(lambda: book(patient, practitioner, consultation, start))

    [email] = messages_to(patient.email)
    assert email.subject.startswith("[St. Example Hospital] Su cita está reservada: ")
    # 09:00 in London (BST, UTC+1) is 04:00 in New York (EDT, UTC-4), labelled as such.
    assert "lunes 6 de abril de 2026, 04:00 (America/New_York)" in email.body
    notification = Notification.objects.get(recipient=patient)
    assert notification.title == "Cita reservada"
    assert "04:00 (America/New_York)" in notification.body


def test_a_move_tells_old_and_new_time_and_replaces_the_reminders(
    practitioner, consultation, after_commit
):
    patient = patient_speaking()
    appointment = after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    mail.outbox.clear()

    after_commit(
        lambda: booking.appointment_reschedule(
            actor=patient, appointment=appointment, new_start=at(MONDAY, 10), now=NOW
        )
    )

    [email] = messages_to(patient.email)
    assert "has moved" in email.body
    assert "New time: Monday 2 March 2026, 10:00 (Europe/London)" in email.body
    assert "Was: Monday 2 March 2026, 09:00" in email.body
    reminders = Delivery.objects.filter(kind="appointment.reminder")
    assert {(d.status, d.next_attempt_at) for d in reminders.filter(channel="email")} == {
        ("cancelled", at(MONDAY, 9) - datetime.timedelta(hours=24)),
        ("cancelled", at(MONDAY, 9) - datetime.timedelta(hours=2)),
        ("pending", at(MONDAY, 10) - datetime.timedelta(hours=24)),
        ("pending", at(MONDAY, 10) - datetime.timedelta(hours=2)),
    }


def test_a_cancellation_by_staff_gives_the_reason_and_one_by_the_patient_does_not(
    practitioner, consultation, after_commit
):
    patient = patient_speaking()
    receptionist = UserFactory.create(role="receptionist")
    first = after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    second = after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 10)))
    mail.outbox.clear()

    after_commit(
        lambda: booking.appointment_cancel(
            actor=receptionist, appointment=first, reason="The clinic is closed that day", now=NOW
        )
    )
    after_commit(
        lambda: booking.appointment_cancel(
            actor=patient, appointment=second, reason="I feel better after the pills", now=NOW
        )
    )

    by_staff, by_patient = messages_to(patient.email)
    assert "The hospital has cancelled your appointment" in by_staff.body
    assert "Reason: The clinic is closed that day" in by_staff.body
    assert "as you asked" in by_patient.body
    assert "pills" not in by_patient.body  # a patient's own words are not repeated back
    assert not Delivery.objects.filter(kind="appointment.reminder", status="pending").exists()


def test_check_in_and_no_show_are_told(
    practitioner, consultation, after_commit, django_capture_on_commit_callbacks
):
    patient, other = patient_speaking(), patient_speaking()
    receptionist = UserFactory.create(role="receptionist")
    seen = after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    missed = after_commit(lambda: book(other, practitioner, consultation, at(MONDAY, 10)))
    mail.outbox.clear()

    with (
        time_machine.travel(at(MONDAY, 8, 50), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        status.appointment_set_status(actor=receptionist, appointment=seen, to_status="checked_in")
    with (
        time_machine.travel(at(MONDAY, 10, 45), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        status.appointment_set_status(actor=receptionist, appointment=missed, to_status="no_show")

    [checked_in] = Notification.objects.filter(recipient=patient, kind="appointment.checked_in")
    assert checked_in.title == "You are checked in"
    assert not messages_to(patient.email)  # in the app only
    [no_show] = messages_to(other.email)
    assert no_show.subject.startswith("[St. Example Hospital] We missed you on Mon 2 Mar 10:00")
    assert Notification.objects.filter(recipient=other, kind="appointment.no_show").count() == 1


def test_a_waitlist_offer_links_to_the_offer_and_names_the_holds_end(
    practitioner, consultation, after_commit
):
    patient, waiting = patient_speaking(), patient_speaking()
    appointment = after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    after_commit(
        lambda: waitlist.waitlist_join(
            actor=waiting,
            patient=waiting,
            appointment_type=consultation,
            date_from=MONDAY,
            date_to=MONDAY,
        )
    )

    after_commit(
        lambda: booking.appointment_cancel(actor=patient, appointment=appointment, now=NOW)
    )

    hold = Appointment.objects.get(status="held")
    [offer] = messages_to(waiting.email)
    assert f"/appointments/waitlist/#offer-{hold.public_id}" in offer.body
    expires = hold.hold_expires_at.astimezone(LONDON)
    assert f"Accept it before {expires:%H:%M}" in offer.body


def test_a_redelivered_event_makes_no_second_message(practitioner, consultation, after_commit):
    patient = patient_speaking()
    after_commit(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    message = OutboxMessage.objects.get(handler__endswith="tell_of_a_booking")
    deliveries = Delivery.objects.count()

    # The outbox row handled again (as if its mark had been lost): nothing new is made.
    OutboxMessage.objects.filter(pk=message.pk).update(handled_at=None)
    after_commit(lambda: events.handle(message.pk))

    assert Delivery.objects.count() == deliveries
    assert len(messages_to(patient.email)) == 1


def test_the_clinician_hears_of_a_booking_for_today_or_tomorrow_by_someone_else(
    practitioner, consultation, django_capture_on_commit_callbacks
):
    patient = patient_speaking()
    # Sunday evening: Monday is tomorrow in the clinician's zone.
    with (
        time_machine.travel(at(MONDAY, 0) - datetime.timedelta(hours=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY, 11),
            channel="web",
        )

    [notice] = Notification.objects.filter(recipient=practitioner.user)
    assert notice.kind == "schedule.changed"
    assert notice.title.startswith("New booking: Mon 2 Mar 11:00")
    surname = patient.full_name.rsplit(" ", 1)[-1]
    assert surname in notice.body and patient.full_name not in notice.body


def test_the_clinician_is_not_told_of_bookings_further_ahead(
    practitioner, consultation, after_commit
):
    after_commit(lambda: book(patient_speaking(), practitioner, consultation, at(MONDAY, 9)))

    assert not Notification.objects.filter(recipient=practitioner.user).exists()
