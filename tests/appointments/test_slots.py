"""Free slots: availability minus exceptions minus bookings, lead time, horizon, time zones."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from appointments.models import Appointment
from appointments.selectors.slots import free_slots
from appointments.services import availability
from tests.appointments.conftest import MONDAY, NOW, UTC, at
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _starts(slots) -> list[str]:
    return [slot.start.astimezone(slot.practitioner.zone).strftime("%H:%M") for slot in slots]


def _slots(appointment_type, practitioner, day=MONDAY, now=NOW, **kwargs):
    return free_slots(
        appointment_type=appointment_type,
        practitioners=[practitioner],
        date_from=day,
        date_to=day,
        now=now,
        **kwargs,
    )


def test_working_hours_become_slots_of_the_type_duration(consultation, practitioner):
    assert _starts(_slots(consultation, practitioner)) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_a_buffer_spaces_the_slots_and_the_last_visit_must_end_in_hours(department, practitioner):
    long_visit = AppointmentTypeFactory.create(
        department=department, duration_minutes=50, buffer_after_minutes=10
    )
    practitioner.appointment_types.add(long_visit)

    assert _starts(_slots(long_visit, practitioner)) == ["09:00", "10:00", "11:00"]


def test_booked_time_and_its_buffer_are_not_offered(consultation, practitioner):
    Appointment.objects.create(
        patient=PatientProfileFactory.create().user,
        practitioner=practitioner,
        appointment_type=consultation,
        start=at(MONDAY, 10),
        end=at(MONDAY, 10, 30),
        blocked_until=at(MONDAY, 10, 45),
        channel="web",
    )

    assert _starts(_slots(consultation, practitioner)) == ["09:00", "09:30", "11:00", "11:30"]


def test_cancelled_appointments_free_their_time(consultation, practitioner):
    Appointment.objects.create(
        patient=PatientProfileFactory.create().user,
        practitioner=practitioner,
        appointment_type=consultation,
        start=at(MONDAY, 10),
        end=at(MONDAY, 10, 30),
        blocked_until=at(MONDAY, 10, 30),
        channel="web",
        status="cancelled",
    )

    assert "10:00" in _starts(_slots(consultation, practitioner))


def test_exceptions_remove_availability(consultation, practitioner):
    availability.exception_add(
        actor=None,
        practitioner=practitioner,
        start=at(MONDAY, 9, 15),
        end=at(MONDAY, 10, 15),
        kind="blocked",
    )

    assert _starts(_slots(consultation, practitioner)) == ["10:30", "11:00", "11:30"]


def test_lead_time_and_horizon(consultation, practitioner):
    on_the_day = at(MONDAY, 9, 10)  # lead time 60 minutes: 10:30 is the first bookable
    consultation.booking_horizon_days = 3
    consultation.save()

    assert _starts(_slots(consultation, practitioner, now=on_the_day)) == [
        "10:30",
        "11:00",
        "11:30",
    ]
    assert _slots(consultation, practitioner, now=NOW) == []  # more than 3 days ahead


def test_validity_dates_of_working_hours(consultation, practitioner):
    practitioner.working_hours.update(valid_from=MONDAY + datetime.timedelta(days=1))

    assert _slots(consultation, practitioner) == []


def test_a_department_search_merges_practitioners_in_time_order(
    department, consultation, practitioner
):
    second = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=second, weekday=0, start_time=datetime.time(11), end_time=datetime.time(12)
    )

    slots = free_slots(
        appointment_type=consultation,
        practitioners=[practitioner, second],
        date_from=MONDAY,
        date_to=MONDAY,
        now=NOW,
    )

    assert [s.start for s in slots] == sorted(s.start for s in slots)
    assert len(slots) == 8
    assert {s.practitioner for s in slots if s.start == at(MONDAY, 11)} == {practitioner, second}


def test_spring_forward_day_keeps_local_times(department, consultation):
    # 29 March 2026: UK clocks go from 01:00 to 02:00. Sunday hours 00:00-04:00.
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner, weekday=6, start_time=datetime.time(0), end_time=datetime.time(4)
    )
    sunday = datetime.date(2026, 3, 29)

    slots = _slots(consultation, practitioner, day=sunday)

    # 01:00 and 01:30 do not exist that night; nothing else is lost or shifted.
    assert _starts(slots) == ["00:00", "00:30", "02:00", "02:30", "03:00", "03:30"]
    assert slots[1].start == datetime.datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert slots[2].start == datetime.datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 BST


def test_fall_back_day_takes_the_first_occurrence(department, consultation):
    # 25 October 2026: UK clocks go from 02:00 back to 01:00. Sunday hours 00:00-03:00.
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner, weekday=6, start_time=datetime.time(0), end_time=datetime.time(3)
    )
    sunday = datetime.date(2026, 10, 25)

    slots = _slots(
        consultation, practitioner, day=sunday, now=datetime.datetime(2026, 10, 1, tzinfo=UTC)
    )

    assert _starts(slots) == ["00:00", "00:30", "01:00", "01:30", "02:00", "02:30"]
    assert slots[2].start == datetime.datetime(
        2026, 10, 25, 0, 0, tzinfo=UTC
    )  # 01:00 BST, the first one
    assert len({s.start for s in slots}) == 6


def test_nine_oclock_stays_nine_oclock_across_the_change(consultation, practitioner):
    before = _slots(consultation, practitioner, day=datetime.date(2026, 3, 23))
    after = _slots(
        consultation,
        practitioner,
        day=datetime.date(2026, 3, 30),
        now=datetime.datetime(2026, 3, 20, tzinfo=UTC),
    )

    assert before[0].start == datetime.datetime(2026, 3, 23, 9, 0, tzinfo=UTC)  # GMT
    assert after[0].start == datetime.datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # BST
    assert _starts(before)[0] == _starts(after)[0] == "09:00"


def test_each_practitioner_in_their_own_time_zone(department, consultation):
    remote = PractitionerFactory.create(
        department=department, offers=[consultation], time_zone="America/New_York"
    )
    WorkingHoursFactory.create(
        practitioner=remote, weekday=0, start_time=datetime.time(9), end_time=datetime.time(10)
    )

    slots = _slots(consultation, remote)

    assert slots[0].start == datetime.datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # 09:00 EST


def test_a_range_longer_than_a_month_gives_nothing(consultation, practitioner):
    slots = free_slots(
        appointment_type=consultation,
        practitioners=[practitioner],
        date_from=MONDAY,
        date_to=MONDAY + datetime.timedelta(days=40),
        now=NOW,
    )

    assert slots == []


def test_slot_search_uses_three_queries_whatever_the_size(
    department, consultation, django_assert_num_queries
):
    practitioners = PractitionerFactory.create_batch(
        5, department=department, offers=[consultation]
    )
    for practitioner in practitioners:
        for weekday in range(5):
            WorkingHoursFactory.create(practitioner=practitioner, weekday=weekday)

    with django_assert_num_queries(3):
        slots = free_slots(
            appointment_type=consultation,
            practitioners=practitioners,
            date_from=MONDAY,
            date_to=MONDAY + datetime.timedelta(days=13),
            now=NOW,
        )

    assert len(slots) == 5 * 10 * 6


def test_a_patients_own_bookings_are_left_out_of_their_search(
    consultation, practitioner, department
):
    patient = PatientProfileFactory.create().user
    elsewhere = PractitionerFactory.create(department=department, offers=[consultation])
    Appointment.objects.create(
        patient=patient,
        practitioner=elsewhere,
        appointment_type=consultation,
        start=at(MONDAY, 10),
        end=at(MONDAY, 10, 30),
        blocked_until=at(MONDAY, 10, 30),
        channel="web",
    )

    for_anyone = _starts(_slots(consultation, practitioner))
    for_patient = _starts(_slots(consultation, practitioner, patient_id=patient.pk))

    assert "10:00" in for_anyone
    assert "10:00" not in for_patient
    assert len(for_patient) == len(for_anyone) - 1
