"""Fixtures for scheduling tests: a department with a practitioner who works Mondays."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import (
    AppointmentTypeFactory,
    DepartmentFactory,
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
