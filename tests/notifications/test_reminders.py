"""Reminders with the clock under control: 24 and 2 hours before (or the type's own hours),
never for a cancelled or moved appointment, the moved one reminded at its new time, daylight
saving days, quiet hours."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine
from django.core import mail

from accounts.models import SmsDevice, User
from appointments.services import booking
from notifications.models import Delivery, Notification, NotificationSettings
from notifications.services.sweeping import deliveries_sweep
from tests.appointments.conftest import MONDAY, NOW, at, book
from tests.factories import PatientProfileFactory

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run ``action`` at ``when`` and what its commits trigger (relay, handlers, sends)."""

    def run(action, when=NOW):
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return action()

    return run


def sweep_at(when: datetime.datetime, committed) -> int:
    return committed(deliveries_sweep, when)


def with_phone(user: User) -> User:
    SmsDevice.objects.create(user=user, name="phone", number="+447700900123", confirmed=True)
    return user


def reminders_to(user: User) -> list:
    return [m for m in mail.outbox if user.email in m.to and "Reminder" in m.subject]


def test_reminders_go_24_and_2_hours_before_and_not_before_their_time(
    practitioner, consultation, committed, sms_outbox
):
    patient = with_phone(PatientProfileFactory.create().user)
    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    mail.outbox.clear()

    sweep_at(at(MONDAY, 8) - datetime.timedelta(days=1, minutes=1), committed)
    assert reminders_to(patient) == []

    sweep_at(at(MONDAY, 9) - datetime.timedelta(hours=24), committed)
    assert len(reminders_to(patient)) == 1
    assert len(sms_outbox) == 1  # reminders are on by SMS for a verified phone
    assert "reminder" in sms_outbox[0].body.lower()

    sweep_at(at(MONDAY, 7), committed)
    sweep_at(at(MONDAY, 7, 30), committed)  # a second sweep sends nothing twice
    assert len(reminders_to(patient)) == 2
    assert len(sms_outbox) == 2
    assert Notification.objects.filter(recipient=patient, kind="appointment.reminder").count() == 2


def test_the_types_own_hours_replace_the_default(practitioner, consultation, committed):
    consultation.reminder_hours_before = "48"
    consultation.save()
    patient = PatientProfileFactory.create().user

    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))

    due = set(
        Delivery.objects.filter(kind="appointment.reminder").values_list(
            "next_attempt_at", flat=True
        )
    )
    assert due == {at(MONDAY, 9) - datetime.timedelta(hours=48)}


def test_a_type_may_have_no_reminders(practitioner, consultation, committed):
    consultation.reminder_hours_before = "none"
    consultation.save()

    committed(
        lambda: book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 9))
    )

    assert not Delivery.objects.filter(kind="appointment.reminder").exists()


def test_a_cancelled_appointment_is_not_reminded_even_if_its_reminder_was_already_queued(
    practitioner, consultation, committed
):
    patient = PatientProfileFactory.create().user
    appointment = committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    # Cancelled without its handlers running (they would withdraw the reminders at once): a
    # reminder already on its way must still not go out.
    with time_machine.travel(NOW, tick=False):
        booking.appointment_cancel(actor=patient, appointment=appointment, now=NOW)
    mail.outbox.clear()

    sweep_at(at(MONDAY, 8), committed)

    assert reminders_to(patient) == []
    cancelled = Delivery.objects.filter(kind="appointment.reminder", channel="email")
    assert {d.status for d in cancelled} == {"cancelled"}
    assert {d.last_error for d in cancelled} == {"the appointment is cancelled"}


def test_a_moved_appointment_is_reminded_at_its_new_time_only(
    practitioner, consultation, committed
):
    patient = PatientProfileFactory.create().user
    appointment = committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    committed(
        lambda: booking.appointment_reschedule(
            actor=patient, appointment=appointment, new_start=at(MONDAY, 11), now=NOW
        )
    )
    mail.outbox.clear()

    sweep_at(at(MONDAY, 7, 30), committed)  # the old 2-hour reminder's time
    assert reminders_to(patient) == [] or all("11:00" in m.subject for m in reminders_to(patient))
    sweep_at(at(MONDAY, 9), committed)  # the new 2-hour reminder's time

    subjects = [m.subject for m in reminders_to(patient)]
    assert len(subjects) == 2  # the new time's 24-hour and 2-hour reminders
    assert all("Mon 2 Mar 11:00" in subject for subject in subjects)


def test_on_the_day_the_clocks_go_forward_a_reminder_is_24_real_hours_before(
    practitioner, consultation, committed
):
    # Clocks go forward in London at 01:00 UTC on Sunday 29 March 2026. A Monday 09:00
    # (BST) visit is reminded at 09:00 BST on Sunday: 24 hours before, on a 23-hour day.
    patient = PatientProfileFactory.create().user
    monday = datetime.date(2026, 3, 30)
    start = datetime.datetime.combine(monday, datetime.time(9), tzinfo=LONDON)
    committed(lambda: book(patient, practitioner, consultation, start))
    mail.outbox.clear()

    first = Delivery.objects.filter(kind="appointment.reminder", channel="email").order_by(
        "next_attempt_at"
    )[0]
    assert first.next_attempt_at == datetime.datetime(2026, 3, 29, 8, 0, tzinfo=datetime.UTC)
    assert first.next_attempt_at.astimezone(LONDON).hour == 9

    sweep_at(first.next_attempt_at, committed)

    [reminder] = reminders_to(patient)
    assert "Monday 30 March 2026, 09:00 (Europe/London)" in reminder.body


def test_quiet_hours_hold_a_text_message_but_not_the_email(
    practitioner, consultation, committed, sms_outbox
):
    # The 2-hour reminder of a 09:00 visit is due at 07:00, inside quiet hours until 07:30.
    patient = with_phone(PatientProfileFactory.create(time_zone="Europe/London").user)
    NotificationSettings.objects.create(
        user=patient, quiet_hours_start=datetime.time(22), quiet_hours_end=datetime.time(7, 30)
    )
    committed(lambda: book(patient, practitioner, consultation, at(MONDAY, 9)))
    sms = Delivery.objects.get(
        kind="appointment.reminder", channel="sms", next_attempt_at__date=MONDAY
    )
    assert sms.next_attempt_at == at(MONDAY, 7, 30)
    sweep_at(at(MONDAY, 9) - datetime.timedelta(hours=24), committed)  # the day before's
    mail.outbox.clear()
    sms_outbox.clear()

    sweep_at(at(MONDAY, 7), committed)
    assert len(reminders_to(patient)) == 1
    assert sms_outbox == []

    sweep_at(at(MONDAY, 7, 30), committed)
    assert len(sms_outbox) == 1


def test_quiet_hours_across_a_daylight_saving_change_end_at_the_local_time(
    practitioner, consultation, committed
):
    from notifications.services.dispatch import quiet_hours_end

    # Quiet 22:00-07:00 in London; a message at 23:30 GMT on Saturday 28 March waits until
    # 07:00 BST on Sunday (06:00 UTC), not 07:00 UTC.
    saturday_night = datetime.datetime(2026, 3, 28, 23, 30, tzinfo=datetime.UTC)
    end = quiet_hours_end(
        at=saturday_night, zone=LONDON, start=datetime.time(22), end=datetime.time(7)
    )
    assert end == datetime.datetime(2026, 3, 29, 6, 0, tzinfo=datetime.UTC)
    # Outside the quiet hours nothing waits.
    assert (
        quiet_hours_end(
            at=datetime.datetime(2026, 3, 28, 12, tzinfo=datetime.UTC),
            zone=LONDON,
            start=datetime.time(22),
            end=datetime.time(7),
        )
        is None
    )
    # Quiet hours within one day (13:00-14:00).
    assert quiet_hours_end(
        at=datetime.datetime(2026, 7, 1, 12, 15, tzinfo=datetime.UTC),
        zone=LONDON,
        start=datetime.time(13),
        end=datetime.time(14),
    ) == datetime.datetime(2026, 7, 1, 13, 0, tzinfo=datetime.UTC)


def test_a_booking_made_three_hours_ahead_gets_only_the_two_hour_reminder(
    practitioner, consultation, committed
):
    patient = PatientProfileFactory.create().user
    consultation.lead_time_minutes = 60
    consultation.save()

    committed(
        lambda: booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY, 11),
            channel="web",
            now=at(MONDAY, 8),
        ),
        when=at(MONDAY, 8),
    )

    due = set(
        Delivery.objects.filter(kind="appointment.reminder").values_list(
            "next_attempt_at", flat=True
        )
    )
    assert due == {at(MONDAY, 9)}
