"""Night shifts: working hours whose end is at or before their start run past midnight
(18:00-08:00 ends the next morning). The block belongs to the weekday it opens on; each slot
to the local day it starts on. Issue 12, "night shifts (18:00-08:00) refused"."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from appointments.models import Practitioner, WorkingHours
from appointments.selectors.slots import _slot_is_free_searched, free_slots, slot_check
from appointments.services import availability
from audit.models import AuditEvent
from tests.appointments.conftest import MONDAY, NOW, api_as, at, book
from tests.conftest import login_verified
from tests.factories import (
    AppointmentTypeFactory,
    PatientProfileFactory,
    UserFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")
TUESDAY = MONDAY + datetime.timedelta(days=1)


@pytest.fixture
def night_doctor(department, consultation):
    doctor = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department, time_zone="Europe/London"
    )
    doctor.appointment_types.add(consultation)
    WorkingHoursFactory.create(
        practitioner=doctor, weekday=0, start_time=datetime.time(18), end_time=datetime.time(8)
    )
    return doctor


def _local(slots, zone=LONDON) -> list[str]:
    return [slot.start.astimezone(zone).strftime("%a %H:%M") for slot in slots]


def _search(appointment_type, practitioner, first, last=None, now=NOW):
    return free_slots(
        appointment_type=appointment_type,
        practitioners=[practitioner],
        date_from=first,
        date_to=last or first,
        now=now,
        cached=False,
    )


def _half_hours(day: str, first: int, last: int) -> list[str]:
    return [f"{day} {h:02d}:{m:02d}" for h in range(first, last) for m in (0, 30)]


def test_a_night_shift_gives_evening_slots_on_its_day_and_morning_slots_on_the_next(
    consultation, night_doctor
):
    monday = _search(consultation, night_doctor, MONDAY)
    tuesday = _search(consultation, night_doctor, TUESDAY)
    both = _search(consultation, night_doctor, MONDAY, TUESDAY)

    assert _local(monday) == _half_hours("Mon", 18, 24)
    # Tuesday's search finds Monday night's hours after midnight; the last visit ends at 08:00.
    assert _local(tuesday) == _half_hours("Tue", 0, 8)
    assert _local(both) == _local(monday) + _local(tuesday)


def test_the_cached_search_agrees_with_the_database(consultation, night_doctor):
    for day in (MONDAY, TUESDAY):
        cached = free_slots(
            appointment_type=consultation,
            practitioners=[night_doctor],
            date_from=day,
            date_to=day,
            now=NOW,
        )
        assert _local(cached) == _local(_search(consultation, night_doctor, day))


def test_hours_ending_at_midnight_are_accepted_and_end_then(department, consultation):
    doctor = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department
    )
    doctor.appointment_types.add(consultation)
    rule = availability.working_hours_add(
        actor=None,
        practitioner=doctor,
        weekday=0,
        start_time=datetime.time(20),
        end_time=datetime.time(0),
        valid_from=datetime.date(2020, 1, 1),
    )

    assert rule.ends_next_day
    assert str(rule) == "Monday 20:00-00:00 (next day)"
    assert _local(_search(consultation, doctor, MONDAY, TUESDAY)) == _half_hours("Mon", 20, 24)


def test_a_night_shift_valid_until_monday_still_ends_on_tuesday_morning(consultation, night_doctor):
    WorkingHours.objects.filter(practitioner=night_doctor).update(valid_until=MONDAY)

    assert _local(_search(consultation, night_doctor, TUESDAY)) == _half_hours("Tue", 0, 8)
    assert _search(consultation, night_doctor, TUESDAY + datetime.timedelta(days=7)) == []


def test_booked_and_leave_time_after_midnight_are_not_offered(consultation, night_doctor):
    patient = PatientProfileFactory.create().user
    booked = book(patient, night_doctor, consultation, at(TUESDAY, 2))  # London is UTC in March
    night_doctor.exceptions.create(kind="blocked", start=at(TUESDAY, 5), end=at(TUESDAY, 6))

    tuesday = _local(_search(consultation, night_doctor, TUESDAY))

    assert booked.start.astimezone(LONDON).strftime("%a %H:%M") == "Tue 02:00"
    assert "Tue 02:00" not in tuesday
    assert "Tue 05:00" not in tuesday and "Tue 05:30" not in tuesday
    assert "Tue 01:30" in tuesday and "Tue 02:30" in tuesday and "Tue 06:00" in tuesday


def test_slot_check_answers_as_the_search_through_the_night(consultation, night_doctor):
    answers = []
    for n in range(16 * 12):  # every five minutes, Monday 17:00 to Tuesday 09:00
        start = at(MONDAY, 17) + datetime.timedelta(minutes=5 * n)
        check = slot_check(
            appointment_type=consultation, practitioner=night_doctor, start=start, now=NOW
        )
        searched = _slot_is_free_searched(
            appointment_type=consultation, practitioner=night_doctor, start=start, now=NOW
        )
        assert check.free == searched, start
        answers.append(check.free)
    assert answers.count(True) == 28  # 18:00 ... 07:30


@pytest.mark.parametrize(
    ("saturday", "expected"),
    [
        # Europe/London springs forward on Sunday 29 March 2026: 01:00 becomes 02:00.
        (
            datetime.date(2026, 3, 28),
            [*_half_hours("Sat", 22, 24), "Sun 00:00", "Sun 00:30", *_half_hours("Sun", 2, 6)],
        ),
        # ... and falls back on Sunday 25 October 2026: 01:00-02:00 happens twice, the slots
        # follow the wall clock (its first pass).
        (datetime.date(2026, 10, 24), [*_half_hours("Sat", 22, 24), *_half_hours("Sun", 0, 6)]),
    ],
)
def test_a_night_shift_across_a_clock_change_follows_the_wall_clock(department, saturday, expected):
    visit = AppointmentTypeFactory.create(
        department=department, duration_minutes=30, lead_time_minutes=0, booking_horizon_days=365
    )
    doctor = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department, time_zone="Europe/London"
    )
    doctor.appointment_types.add(visit)
    WorkingHoursFactory.create(
        practitioner=doctor, weekday=5, start_time=datetime.time(22), end_time=datetime.time(6)
    )
    sunday = saturday + datetime.timedelta(days=1)

    found = _search(visit, doctor, saturday, sunday)

    assert _local(found) == expected
    for slot in found:
        assert slot_check(appointment_type=visit, practitioner=doctor, start=slot.start, now=NOW)
    # Each start is checked the same way by the booking's one-query check.
    first = datetime.datetime.combine(saturday, datetime.time(21), tzinfo=LONDON)
    for n in range(10 * 12):
        start = (first + datetime.timedelta(minutes=5 * n)).astimezone(datetime.UTC)
        assert slot_check(
            appointment_type=visit, practitioner=doctor, start=start, now=NOW
        ).free == _slot_is_free_searched(
            appointment_type=visit, practitioner=doctor, start=start, now=NOW
        ), start


@pytest.mark.parametrize(
    ("weekday", "start", "end", "overlaps"),
    [
        (1, 7, 12, True),  # Tuesday 07:00 is still Monday's night
        (1, 8, 12, False),  # Tuesday 08:00, when the night ends
        (0, 12, 19, True),  # Monday afternoon into the evening
        (0, 9, 18, False),  # Monday day shift, before it
        (6, 22, 1, False),  # Sunday night ending at 01:00 Monday
        (6, 22, 19, True),  # Sunday night ending Monday 19:00
        (0, 23, 2, True),  # a second night inside the first
    ],
)
def test_overlap_is_judged_across_midnight_and_the_weeks_end(
    night_doctor, weekday, start, end, overlaps
):
    def add():
        return availability.working_hours_add(
            actor=None,
            practitioner=night_doctor,
            weekday=weekday,
            start_time=datetime.time(start),
            end_time=datetime.time(end),
            valid_from=datetime.date(2020, 1, 1),
        )

    if overlaps:
        with pytest.raises(ValidationError) as refused:
            add()
        assert refused.value.message_dict["start_time"] == [
            "These hours overlap hours already set (Monday 18:00-08:00 (next day))."
        ]
        assert night_doctor.working_hours.count() == 1
    else:
        add()
        assert night_doctor.working_hours.count() == 2


def test_sunday_night_wraps_into_monday_morning(department, consultation):
    doctor = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department
    )
    WorkingHoursFactory.create(
        practitioner=doctor, weekday=6, start_time=datetime.time(22), end_time=datetime.time(6)
    )

    with pytest.raises(ValidationError):
        availability.working_hours_add(
            actor=None,
            practitioner=doctor,
            weekday=0,
            start_time=datetime.time(5),
            end_time=datetime.time(9),
            valid_from=datetime.date(2020, 1, 1),
        )


def test_hours_that_start_and_end_at_the_same_time_are_refused(night_doctor):
    with pytest.raises(ValidationError) as refused:
        availability.working_hours_add(
            actor=None,
            practitioner=night_doctor,
            weekday=3,
            start_time=datetime.time(9),
            end_time=datetime.time(9),
            valid_from=datetime.date(2020, 1, 1),
        )

    assert "The end time must differ from the start time" in str(refused.value)
    assert night_doctor.working_hours.count() == 1


def test_the_manage_page_adds_a_night_shift_and_says_it_ends_the_next_day(
    client, department, consultation
):
    doctor = Practitioner.objects.create(
        user=UserFactory.create(role="doctor"), department=department
    )
    login_verified(client, UserFactory.create(role="admin"))
    page = f"/appointments/manage/{doctor.public_id}/"

    added = client.post(
        f"{page}hours/",
        {
            "weekday": "4",
            "start_time": "18:00",
            "end_time": "08:00",
            "valid_from": "2026-01-01",
            "valid_until": "",
        },
    )
    shown = client.get(page).content.decode()

    assert added.status_code == 302
    assert "18:00&ndash;08:00 (next day)" in shown
    assert "runs past midnight" in shown  # the end time's help text
    assert AuditEvent.objects.filter(action="appointments.working_hours_added").count() == 1


def test_the_api_accepts_a_night_shift_and_marks_it(night_doctor):
    admin = UserFactory.create(role="admin")
    path = f"/api/v1/practitioners/{night_doctor.public_id}/working-hours"

    created = api_as(admin).post(
        path,
        {"weekday": 2, "start_time": "20:00", "end_time": "06:00", "valid_from": "2026-01-01"},
        format="json",
    )
    listed = api_as(admin).get(path)

    assert created.status_code == 201, created.json()
    assert created.json()["ends_next_day"] is True
    assert [row["ends_next_day"] for row in listed.json()["results"]] == [True, True]
