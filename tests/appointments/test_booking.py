"""Booking, rescheduling, cancelling and the visit's status changes (services)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from appointments import errors
from appointments.events import AppointmentBooked
from appointments.models import Appointment
from appointments.selectors.slots import free_slots
from appointments.services import booking, status
from audit.models import AuditEvent
from core.events import subscribe
from tests.appointments.conftest import MONDAY, NOW, at
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    PractitionerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _unsubscribe(event_type, handler):
    from core import events

    events._subscribers[event_type].remove(handler)


@pytest.fixture
def receptionist(db):
    return UserFactory.create(role="receptionist")


def _book(patient, practitioner, appointment_type, start, actor=None, **kwargs):
    return booking.appointment_book(
        actor=actor or patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        channel="web",
        now=NOW,
        **kwargs,
    )


def test_a_patient_books_a_free_slot(
    patient, practitioner, consultation, django_capture_on_commit_callbacks
):
    received: list[AppointmentBooked] = []
    handler = subscribe(AppointmentBooked)(received.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            appointment = _book(
                patient, practitioner, consultation, at(MONDAY, 9, 30), reason="Persistent cough"
            )
    finally:
        _unsubscribe(AppointmentBooked, handler)

    assert appointment.status == "booked"
    assert appointment.end == at(MONDAY, 10)
    assert appointment.booked_by == patient
    row = AuditEvent.objects.get(action="appointments.booked")
    assert row.patient == patient
    assert row.target_id == str(appointment.public_id)
    assert "cough" not in str(row.details)
    assert received == [
        AppointmentBooked(
            appointment_id=appointment.public_id,
            patient_id=patient.public_id,
            practitioner_id=practitioner.public_id,
            start=appointment.start,
            end=appointment.end,
            actor_id=patient.public_id,
        )
    ]


def test_events_are_not_published_when_the_booking_rolls_back(
    patient, practitioner, consultation, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(errors.SlotUnavailable),
    ):
        _book(patient, practitioner, consultation, at(MONDAY, 13))

    assert callbacks == []


@pytest.mark.parametrize(
    ("start", "error", "message"),
    [
        (at(MONDAY, 13), errors.SlotUnavailable, "not available"),
        (at(MONDAY, 9, 10), errors.SlotUnavailable, "not available"),
        (
            datetime.datetime(2026, 2, 20, 9, tzinfo=datetime.UTC),
            errors.SlotUnavailable,
            "in the past",
        ),
        (datetime.datetime(2026, 3, 2, 9, 0), errors.SlotUnavailable, "time zone"),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_bad_times_are_refused_and_nothing_is_written(
    patient, practitioner, consultation, start, error, message
):
    with pytest.raises(error, match=message):
        _book(patient, practitioner, consultation, start)

    assert Appointment.objects.count() == 0
    assert not AuditEvent.objects.filter(action="appointments.booked").exists()


def test_a_type_the_practitioner_does_not_offer_is_refused(patient, practitioner, department):
    other_type = AppointmentTypeFactory.create(department=department, name="X-ray")

    with pytest.raises(errors.SlotUnavailable, match="does not offer"):
        _book(patient, practitioner, other_type, at(MONDAY, 9))


def test_a_taken_slot_is_a_conflict_and_so_is_a_patient_overlap(
    patient, practitioner, consultation, department
):
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    someone_else = PatientProfileFactory.create().user
    other_practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    from tests.factories import WorkingHoursFactory

    WorkingHoursFactory.create(
        practitioner=other_practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )

    with pytest.raises(errors.SlotTaken):  # the same slot: a lost race, 409
        _book(someone_else, practitioner, consultation, at(MONDAY, 9))
    with pytest.raises(errors.PatientBusy):  # the patient is busy then: 409, PATIENT_OVERLAP
        _book(patient, other_practitioner, consultation, at(MONDAY, 9))
    assert errors.SlotTaken.status == 409
    # One code, one status (issue 9 #14): the checks and the database constraint agree.
    assert errors.PatientBusy.status == errors.PatientHasOverlap.status == 409
    assert errors.PatientBusy.code == errors.PatientHasOverlap.code == "PATIENT_OVERLAP"
    assert Appointment.objects.count() == 1


def test_why_a_time_is_not_free(patient, practitioner, consultation):
    """The refusal says why, from the same round trip as the check on PostgreSQL and from
    queries of their own elsewhere: the exact start held (a lost race, 409), an overlap with
    another visit (400), outside the hours (400); a cancelled visit holds nothing."""
    _book(patient, practitioner, consultation, at(MONDAY, 9))
    cancelled = _book(patient, practitioner, consultation, at(MONDAY, 10))
    booking.appointment_cancel(actor=patient, appointment=cancelled, now=NOW)
    someone_else = PatientProfileFactory.create().user

    with pytest.raises(errors.SlotTaken):
        _book(someone_else, practitioner, consultation, at(MONDAY, 9))
    with pytest.raises(errors.SlotUnavailable, match="overlaps another appointment"):
        _book(someone_else, practitioner, consultation, at(MONDAY, 9, 10))
    with pytest.raises(errors.SlotUnavailable, match="not available"):
        _book(someone_else, practitioner, consultation, at(MONDAY, 12, 30))
    assert _book(someone_else, practitioner, consultation, at(MONDAY, 10)).pk != cancelled.pk
    assert Appointment.objects.filter(status="booked").count() == 2


def test_the_database_refuses_a_double_booking_that_skips_the_checks(
    patient, practitioner, consultation
):
    from django.db import IntegrityError, transaction

    _book(patient, practitioner, consultation, at(MONDAY, 9))
    someone_else = PatientProfileFactory.create().user

    with pytest.raises(IntegrityError, match="practitioner_no_overlap"), transaction.atomic():
        Appointment.objects.create(
            patient=someone_else,
            practitioner=practitioner,
            appointment_type=consultation,
            start=at(MONDAY, 9, 15),
            end=at(MONDAY, 9, 45),
            blocked_until=at(MONDAY, 9, 45),
            channel="web",
        )
    with pytest.raises(IntegrityError, match="patient_no_overlap"), transaction.atomic():
        Appointment.objects.create(
            patient=patient,
            practitioner=PractitionerFactory.create(),
            appointment_type=consultation,
            start=at(MONDAY, 9, 15),
            end=at(MONDAY, 9, 45),
            blocked_until=at(MONDAY, 9, 45),
            channel="web",
        )


def test_patients_book_only_for_themselves_and_only_self_bookable_types(
    patient, practitioner, consultation, department, receptionist
):
    other_patient = PatientProfileFactory.create().user
    staff_only = AppointmentTypeFactory.create(
        department=department, name="Procedure", patient_bookable=False
    )
    practitioner.appointment_types.add(staff_only)

    with pytest.raises(errors.NotAllowed):
        _book(other_patient, practitioner, consultation, at(MONDAY, 9), actor=patient)
    with pytest.raises(errors.NotAllowed, match="reception"):
        _book(patient, practitioner, staff_only, at(MONDAY, 9))
    booked = _book(patient, practitioner, staff_only, at(MONDAY, 9), actor=receptionist)

    assert booked.booked_by == receptionist


def test_reception_may_book_inside_the_lead_time_patients_may_not(
    patient, practitioner, consultation, receptionist
):
    soon = at(MONDAY, 9, 30)
    just_before = at(MONDAY, 9, 0)

    with pytest.raises(errors.SlotUnavailable):
        booking.appointment_book(
            actor=patient,
            patient=patient,
            practitioner=practitioner,
            appointment_type=consultation,
            start=soon,
            channel="web",
            now=just_before,
        )
    booked = booking.appointment_book(
        actor=receptionist,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=soon,
        channel="reception",
        now=just_before,
    )

    assert booked.channel == "reception"


def test_rescheduling_moves_the_booking_atomically(patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    blocker = _book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 10))

    with pytest.raises(errors.SlotTaken):
        booking.appointment_reschedule(
            actor=patient, appointment=appointment, new_start=at(MONDAY, 10), now=NOW
        )
    appointment.refresh_from_db()
    assert appointment.start == at(MONDAY, 9)  # the old time is kept

    moved = booking.appointment_reschedule(
        actor=patient, appointment=appointment, new_start=at(MONDAY, 11), now=NOW
    )

    assert moved.start == at(MONDAY, 11)
    assert moved.pk == appointment.pk
    freed = free_slots(
        appointment_type=consultation,
        practitioners=[practitioner],
        date_from=MONDAY,
        date_to=MONDAY,
        now=NOW,
    )
    assert at(MONDAY, 9) in [slot.start for slot in freed]
    assert blocker.start == at(MONDAY, 10)
    assert AuditEvent.objects.get(action="appointments.rescheduled").details == {
        "fields": ["start", "end"]
    }


def test_a_patient_may_cancel_until_the_cutoff_staff_any_time_with_a_reason(
    patient, practitioner, consultation, receptionist, settings
):
    settings.APPOINTMENT_PATIENT_CHANGE_CUTOFF_HOURS = 24
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    late = at(MONDAY, 9) - datetime.timedelta(hours=23)

    with pytest.raises(errors.CancelTooLate, match="24 hours"):
        booking.appointment_cancel(actor=patient, appointment=appointment, now=late)
    with pytest.raises(ValidationError, match="reason"):
        booking.appointment_cancel(actor=receptionist, appointment=appointment, now=late)
    cancelled = booking.appointment_cancel(
        actor=receptionist, appointment=appointment, reason="Doctor ill", now=late
    )

    assert cancelled.status == "cancelled"
    assert cancelled.cancellation_reason == "Doctor ill"
    assert AuditEvent.objects.get(action="appointments.cancelled").details == {"by_staff": True}


def test_another_patients_appointment_cannot_be_cancelled(patient, practitioner, consultation):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    stranger = PatientProfileFactory.create().user

    with pytest.raises(errors.NotAllowed):
        booking.appointment_cancel(actor=stranger, appointment=appointment, now=NOW)


def test_the_visit_moves_through_allowed_statuses_only(
    patient, practitioner, consultation, receptionist
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    doctor = practitioner.user
    on_the_day = at(MONDAY, 8, 50)

    with pytest.raises(
        errors.VisitNotStarted
    ):  # its own code since issue 9 (was INVALID_TRANSITION)
        status.appointment_set_status(
            actor=doctor, appointment=appointment, to_status="completed", now=on_the_day
        )
    with pytest.raises(errors.NotAllowed):
        status.appointment_set_status(
            actor=doctor, appointment=appointment, to_status="checked_in", now=on_the_day
        )
    status.appointment_set_status(
        actor=receptionist, appointment=appointment, to_status="checked_in", now=on_the_day
    )
    with pytest.raises(errors.NotAllowed):
        status.appointment_set_status(
            actor=receptionist, appointment=appointment, to_status="in_progress", now=on_the_day
        )
    status.appointment_set_status(
        actor=doctor, appointment=appointment, to_status="in_progress", now=at(MONDAY, 9)
    )
    done = status.appointment_set_status(
        actor=doctor, appointment=appointment, to_status="completed", now=at(MONDAY, 9, 25)
    )

    assert done.status == "completed"
    assert done.checked_in_at == on_the_day
    assert done.completed_at == at(MONDAY, 9, 25)
    actions = list(
        AuditEvent.objects.filter(target_id=str(appointment.public_id)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        "appointments.booked",
        "appointments.checked_in",
        "appointments.in_progress",
        "appointments.completed",
    ]


def test_another_practitioner_cannot_start_the_visit(
    patient, practitioner, consultation, department
):
    appointment = _book(patient, practitioner, consultation, at(MONDAY, 9))
    colleague = PractitionerFactory.create(department=department).user

    with pytest.raises(errors.NotAllowed):
        status.appointment_set_status(
            actor=colleague, appointment=appointment, to_status="in_progress", now=at(MONDAY, 9)
        )


def test_no_shows_are_marked_after_the_grace_period(patient, practitioner, consultation, settings):
    settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES = 30
    missed = _book(patient, practitioner, consultation, at(MONDAY, 9))
    later = _book(PatientProfileFactory.create().user, practitioner, consultation, at(MONDAY, 10))

    count = status.appointments_mark_no_shows(now=at(MONDAY, 9, 45))

    missed.refresh_from_db()
    later.refresh_from_db()
    assert count == 1
    assert missed.status == "no_show"
    assert later.status == "booked"
    assert AuditEvent.objects.get(action="appointments.no_show").actor is None


def test_the_no_show_task_marks_them(patient, practitioner, consultation):
    import time_machine

    from appointments.tasks import mark_no_shows

    missed = _book(patient, practitioner, consultation, at(MONDAY, 9))

    with time_machine.travel(at(MONDAY, 10), tick=False):
        marked = mark_no_shows.delay().get()

    missed.refresh_from_db()
    assert marked == 1
    assert missed.status == "no_show"
