"""The appointments list's query shape (issue 10): a clinician's list reads their practitioner
row and patients in care in one query and names them in the page's query as constants (the
patients as one array parameter), whatever the filters; and it still lists exactly what
``appointments_visible_to`` allows, page after page.

The rule itself is checked against its other form: ``appointments_visible_to`` (subqueries,
as single appointments and schedules ask it)."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from appointments.models import Appointment, Practitioner
from appointments.selectors.appointments import appointments_visible_to
from tests.appointments.conftest import NOW, api_as
from tests.factories import PatientProfileFactory, PractitionerFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
HOUR = datetime.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _appointment(
    patient: User,
    practitioner: Practitioner,
    appointment_type: Any,
    start: datetime.datetime,
    *,
    end: datetime.datetime | None = None,
    status: str = Appointment.Status.BOOKED,
) -> Appointment:
    end = end or start + datetime.timedelta(minutes=30)
    return Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=appointment_type,
        start=start,
        end=end,
        blocked_until=end,
        status=status,
        channel="web",
    )


class _Grid:
    """Times that never overlap one another (every 7 hours from 60 days ago), the past ones
    completed, the later ones booked."""

    def __init__(self) -> None:
        self.next = 0

    def __call__(self, patient, practitioner, appointment_type, count: int) -> list[Appointment]:
        made = []
        for _ in range(count):
            start = NOW - 60 * DAY + self.next * 7 * HOUR
            self.next += 1
            status = Appointment.Status.COMPLETED if start < NOW else Appointment.Status.BOOKED
            made.append(_appointment(patient, practitioner, appointment_type, start, status=status))
        return made


@pytest.fixture
def world(practitioner, department, consultation):
    """The doctor (``practitioner``) and a colleague; patients of every kind the rule names.
    Off-grid times (a quarter past) never overlap the grid's."""
    colleague = PractitionerFactory.create(department=department, offers=[consultation])
    grid = _Grid()
    quarter = datetime.timedelta(hours=3, minutes=15)
    people = {
        name: PatientProfileFactory.create().user
        for name in ("own", "upcoming", "recent", "stranger", "cancelled", "lapsed")
    }
    mine: dict[str, list[Appointment]] = {name: [] for name in people}
    # Only the doctor's own patient: 20 visits with the doctor.
    mine["own"] += grid(people["own"], practitioner, consultation, 20)
    # In care by an upcoming visit: that one and all 30 of theirs with the colleague.
    mine["upcoming"].append(
        _appointment(people["upcoming"], practitioner, consultation, NOW + 2 * DAY + quarter)
    )
    mine["upcoming"] += grid(people["upcoming"], colleague, consultation, 30)
    # In care by a visit that ended 10 days ago: that one and their 10 with the colleague.
    mine["recent"].append(
        _appointment(
            people["recent"],
            practitioner,
            consultation,
            NOW - 10 * DAY + quarter,
            status=Appointment.Status.COMPLETED,
        )
    )
    mine["recent"] += grid(people["recent"], colleague, consultation, 10)
    # Never the doctor's: nothing.
    grid(people["stranger"], colleague, consultation, 10)
    # Only a cancelled visit with the doctor: that one (their own schedule), not the others.
    mine["cancelled"].append(
        _appointment(
            people["cancelled"],
            practitioner,
            consultation,
            NOW + 3 * DAY + quarter,
            status=Appointment.Status.CANCELLED,
        )
    )
    grid(people["cancelled"], colleague, consultation, 5)
    # Seen by the doctor longer ago than the care relationship lasts: that visit only.
    mine["lapsed"].append(
        _appointment(
            people["lapsed"],
            practitioner,
            consultation,
            NOW - 40 * DAY + quarter,
            status=Appointment.Status.COMPLETED,
        )
    )
    grid(people["lapsed"], colleague, consultation, 5)
    return {"colleague": colleague, "people": people, "mine": mine}


def _every_page(client, path: str, params: dict[str, str] | None = None) -> list[list[str]]:
    pages = []
    response = client.get(path, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        if not body["next"]:
            return pages
        response = client.get(body["next"])


def _expected(user: User, **filters: Any) -> list[str]:
    rows = appointments_visible_to(user=user, now=NOW).filter(**filters).order_by("start", "pk")
    return [str(public_id) for public_id in rows.values_list("public_id", flat=True)]


def test_a_doctor_sees_own_and_in_care_appointments_page_after_page(practitioner, world):
    mine = world["mine"]

    pages = _every_page(api_as(practitioner.user), "/api/v1/appointments")

    listed = [public_id for page in pages for public_id in page]
    expected = sorted(
        (appointment for appointments in mine.values() for appointment in appointments),
        key=lambda appointment: (appointment.start, appointment.pk),
    )
    assert [len(page) for page in pages] == [50, 14]
    assert listed == [str(appointment.public_id) for appointment in expected]
    assert listed == _expected(practitioner.user)


@pytest.mark.parametrize(
    ("params", "filters"),
    [
        ({"when": "upcoming"}, {"end__gte": NOW}),
        ({"when": "past"}, {"end__lt": NOW}),
        ({"status": "completed"}, {"status": "completed"}),
        ({"status": "cancelled"}, {"status": "cancelled"}),
        ({"when": "upcoming", "status": "completed"}, {"end__gte": NOW, "status": "completed"}),
        (
            {"date_from": "2026-01-10", "date_to": "2026-02-10"},
            {
                "start__gte": datetime.datetime(2026, 1, 10, tzinfo=datetime.UTC),
                "start__lt": datetime.datetime(2026, 2, 11, tzinfo=datetime.UTC),
            },
        ),
    ],
)
def test_filters_narrow_what_the_doctor_may_see(practitioner, world, settings, params, filters):
    settings.TIME_ZONE = "UTC"  # the days of date_from/date_to, without a practitioner

    pages = _every_page(api_as(practitioner.user), "/api/v1/appointments", params)

    assert [public_id for page in pages for public_id in page] == _expected(
        practitioner.user, **filters
    )


def test_own_schedule_only(practitioner, world):
    pages = _every_page(api_as(practitioner.user), "/api/v1/appointments", {"practitioner": "me"})

    assert [public_id for page in pages for public_id in page] == _expected(
        practitioner.user, practitioner=practitioner
    )


def test_an_appointment_longer_than_the_rest_still_counts_as_upcoming(
    practitioner, world, consultation
):
    # Began two days ago and has not ended: upcoming (by its end), however long ago it began.
    long_one = _appointment(
        world["people"]["own"],
        practitioner,
        consultation,
        NOW - 2 * DAY + datetime.timedelta(minutes=10),
        end=NOW + HOUR,
        status=Appointment.Status.CANCELLED,  # the grid is booked around it
    )

    pages = _every_page(api_as(practitioner.user), "/api/v1/appointments", {"when": "upcoming"})

    listed = [public_id for page in pages for public_id in page]
    assert listed[0] == str(long_one.public_id)
    assert listed == _expected(practitioner.user, end__gte=NOW)


def test_a_long_visit_that_ended_lately_makes_care_however_long_ago_it_began(
    practitioner, department, consultation
):
    colleague = PractitionerFactory.create(department=department, offers=[consultation])
    patient = PatientProfileFactory.create().user
    _appointment(
        patient,
        practitioner,
        consultation,
        NOW - 35 * DAY,
        end=NOW - 25 * DAY,
        status=Appointment.Status.COMPLETED,
    )
    elsewhere = _appointment(patient, colleague, consultation, NOW + DAY)

    pages = _every_page(api_as(practitioner.user), "/api/v1/appointments", {"when": "upcoming"})

    assert pages == [[str(elsewhere.public_id)]]
    assert pages[0] == _expected(practitioner.user, end__gte=NOW)


@pytest.mark.parametrize("role", ["receptionist", "patient"])
def test_reception_and_patients_lists_are_unchanged(world, role):
    user = UserFactory.create(role="receptionist") if role == "receptionist" else None
    user = user or world["people"]["upcoming"]

    pages = _every_page(api_as(user), "/api/v1/appointments")
    upcoming = _every_page(api_as(user), "/api/v1/appointments", {"when": "upcoming"})

    assert [public_id for page in pages for public_id in page] == _expected(user)
    assert [public_id for page in upcoming for public_id in page] == _expected(user, end__gte=NOW)


def test_a_clinician_without_a_practitioner_row_sees_nothing(world):
    nurse = UserFactory.create(role="nurse")

    pages = _every_page(api_as(nurse), "/api/v1/appointments")

    assert pages == [[]]


# --- Queries ---------------------------------------------------------------------------------


# PostgreSQL's query shape (elsewhere: an IN list, the rows read apart): needs PostgreSQL.
@pytest.mark.services("DATABASE_URL")
@pytest.mark.parametrize("page", [1, 2])
def test_a_doctors_page_is_three_queries_with_the_patients_as_one_parameter(
    practitioner, world, page
):
    client = api_as(practitioner.user)
    path = "/api/v1/appointments"
    if page == 2:
        path = client.get(path).json()["next"]

    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)

    assert response.status_code == 200
    own = [
        query["sql"]
        for query in queries
        if "appointments_appointment" in query["sql"] or "appointments_practitioner" in query["sql"]
    ]
    # Their practitioner row with the patients in their care, the page, its practitioners.
    assert len(own) == 3
    assert "ARRAY(SELECT DISTINCT" in own[0]
    assert "a.patient_id = ANY(" in own[1]
    assert " IN (" not in own[1]
    assert "appointments_appointment" not in own[2]


# --- Instants read as text -------------------------------------------------------------------


def test_listed_instants_are_those_of_one_appointment_to_the_microsecond(
    practitioner, consultation
):
    patient = PatientProfileFactory.create().user
    appointment = _appointment(patient, practitioner, consultation, NOW + DAY)
    Appointment.objects.filter(pk=appointment.pk).update(
        created_at=NOW - datetime.timedelta(microseconds=123450),
        updated_at=NOW + datetime.timedelta(seconds=1, microseconds=7),
        hold_expires_at=NOW + datetime.timedelta(hours=2, microseconds=500000),
    )
    api = api_as(patient)

    listed = api.get("/api/v1/appointments").json()["results"]
    one = api.get(f"/api/v1/appointments/{appointment.public_id}").json()

    assert listed == [one]
    assert one["created_at"] == "2026-02-23T07:59:59.876550Z"
    assert one["updated_at"] == "2026-02-23T08:00:01.000007Z"
    assert one["hold_expires_at"] == "2026-02-23T10:00:00.500000Z"
    assert one["end"] == "2026-02-24T08:30:00Z"


def test_listed_rows_in_another_zone_are_what_instances_give(practitioner, consultation):
    from django.utils import timezone

    from appointments.selectors.appointments import appointment_list
    from appointments.serializers.bookings import (
        LISTED_COLUMNS,
        appointments_listed,
        appointments_shown,
    )

    patient = PatientProfileFactory.create().user
    _appointment(patient, practitioner, consultation, NOW + DAY)
    Appointment.objects.update(created_at=NOW - datetime.timedelta(microseconds=5))
    listed_rows = appointment_list(user=patient, now=NOW).order_by("start")

    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        rows = appointments_listed(listed_rows.values(*LISTED_COLUMNS), viewer=patient)
        instances = appointments_shown(listed_rows, viewer=patient)

    assert rows == instances
    assert rows[0]["created_at"] == "2026-02-23T08:59:59.999995+01:00"
