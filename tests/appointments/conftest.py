"""Fixtures for scheduling tests: a department with a practitioner who works Mondays."""

from __future__ import annotations

import datetime

import pytest

from appointments.services import booking, waitlist
from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
    PatientProfileFactory,
    PractitionerFactory,
    WorkingHoursFactory,
)

UTC = datetime.UTC
# A Monday well in the future of the frozen "now" used by the tests.
MONDAY = datetime.date(2026, 3, 2)
NOW = datetime.datetime(2026, 2, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def department(db):
    return DepartmentFactory.create(code="general", name="General Practice")


@pytest.fixture
def consultation(department):
    return AppointmentTypeFactory.create(
        department=department, name="Consultation", duration_minutes=30
    )


@pytest.fixture
def practitioner(department, consultation):
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    return practitioner


def at(
    day: datetime.date, hour: int, minute: int = 0, tz: datetime.tzinfo = UTC
) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz).astimezone(UTC)


def api_as(user):
    """An API client with a bearer token of the user (staff: a session that passed a second
    factor). Tokens live minutes: make the client after any time travel."""
    from rest_framework.test import APIClient

    from accounts.services import sessions

    pair = sessions.api_session_start(
        user=user, request=None, mfa_device="test" if user.is_staff_member else ""
    )
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


def book(patient, practitioner, appointment_type, start, *, reason=""):
    """The patient books the time themselves, at the tests' frozen now."""
    from appointments.services import booking

    return booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        reason=reason,
        channel="web",
        now=NOW,
    )


@pytest.fixture
def cardiology(db):
    return DepartmentFactory.create(code="cardiology", name="Cardiology")


@pytest.fixture
def echo(cardiology):
    return AppointmentTypeFactory.create(
        department=cardiology, name="Echocardiogram", duration_minutes=30
    )


@pytest.fixture
def cardiologist(cardiology, echo):
    """A practitioner of another department, who also works Monday mornings."""
    practitioner = PractitionerFactory.create(department=cardiology, offers=[echo])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    return practitioner


def a_booking_with_a_patient_waiting():
    """Next Monday 09:00 booked by one patient while another waits for that day: cancel it
    and the time should be offered (the real-worker and outbox tests)."""
    department = DepartmentFactory.create()
    consultation = AppointmentTypeFactory.create(department=department)
    practitioner = PractitionerFactory.create(department=department, offers=[consultation])
    WorkingHoursFactory.create(
        practitioner=practitioner,
        weekday=0,
        start_time=datetime.time(9),
        end_time=datetime.time(12),
    )
    today = datetime.datetime.now(tz=datetime.UTC).date()
    monday = today + datetime.timedelta(days=7 + (7 - today.weekday()) % 7)
    start = datetime.datetime.combine(
        monday, datetime.time(9), tzinfo=practitioner.zone
    ).astimezone(datetime.UTC)
    patient, waiting = (PatientProfileFactory.create().user for _ in range(2))
    appointment = booking.appointment_book(
        actor=patient,
        patient=patient,
        practitioner=practitioner,
        appointment_type=consultation,
        start=start,
        channel="web",
    )
    waitlist.waitlist_join(
        actor=waiting,
        patient=waiting,
        appointment_type=consultation,
        date_from=monday,
        date_to=monday,
    )
    return patient, appointment, waiting
