"""The API's appointments list on PostgreSQL is read in plain SQL (``_ListRows``, issue 10:
building the ORM's query was half of the request's CPU). It must answer exactly what the
ORM's form answers: every page of every filter for every role, forwards and backwards, with
the same links, and refuse the same cursors.

Each case is paged through twice, once through the SQL form and once through the ORM's
(``appointment_list_rows`` falls back to it when the columns asked for are not the SQL's),
and the two bodies are compared whole."""

from __future__ import annotations

import base64
import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from appointments.models import Appointment, Practitioner
from appointments.selectors import appointments as selectors
from appointments.serializers.bookings import LISTED_COLUMNS
from tests.appointments.conftest import NOW, api_as
from tests.factories import PatientProfileFactory, PractitionerFactory, UserFactory

# The SQL form exists on PostgreSQL only (elsewhere both runs would be the ORM's).
pytestmark = [pytest.mark.django_db, pytest.mark.services("DATABASE_URL")]

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
Status = Appointment.Status


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _appointment(
    patient: User, practitioner: Practitioner, kind: Any, start: datetime.datetime, status: str
) -> Appointment:
    end = start + 30 * datetime.timedelta(minutes=1)
    return Appointment.objects.create(
        patient=patient,
        practitioner=practitioner,
        appointment_type=kind,
        start=start,
        end=end,
        blocked_until=end,
        status=status,
        channel="web",
        reason=f"reason {start:%d %H}",
        hold_expires_at=NOW + 2 * HOUR if status == Status.HELD else None,
    )


@pytest.fixture
def world(practitioner, department, consultation):
    """Three practitioners in three zones seeing five patients every 9 hours, 30 days back
    and 12 ahead, all three at the same times (so pages end inside a run of equal starts:
    the cursor's offset), with every status."""
    practitioner.time_zone = "UTC"
    practitioner.save(update_fields=["time_zone"])
    colleague = PractitionerFactory.create(
        department=department, offers=[consultation], time_zone="America/New_York"
    )
    far = PractitionerFactory.create(
        department=department, offers=[consultation], time_zone="Asia/Tokyo"
    )
    patients = [PatientProfileFactory.create().user for _ in range(5)]
    clinicians = [practitioner, colleague, far]
    statuses = [Status.BOOKED, Status.CANCELLED, Status.HELD, Status.NO_SHOW]
    start = NOW - 30 * DAY
    step = 0
    while start < NOW + 12 * DAY:
        for index, clinician in enumerate(clinicians):
            # Patient 4 only ever sees the colleague: never in the doctor's care.
            patient = patients[(step + index) % 4] if clinician is not colleague else patients[4]
            if clinician is colleague and step % 2:
                patient = patients[(step + index) % 4]
            status = (
                Status.COMPLETED if start < NOW and step % 5 else statuses[step % len(statuses)]
            )
            _appointment(patient, clinician, consultation, start, status)
        start += 9 * HOUR
        step += 1
    return {"doctor": practitioner, "colleague": colleague, "far": far, "patients": patients}


def _walk(client, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every page forwards, then back from the last one by its ``previous`` links."""
    bodies = []
    response = client.get("/api/v1/appointments", params)
    while True:
        assert response.status_code == 200, response.content
        bodies.append(response.json())
        if not bodies[-1]["next"]:
            break
        response = client.get(bodies[-1]["next"])
    while bodies[-1]["previous"] and len(bodies) < 60:
        response = client.get(bodies[-1]["previous"])
        assert response.status_code == 200, response.content
        bodies.append(response.json())
    return bodies


def _both_forms(monkeypatch, client, params: dict[str, str]) -> tuple[list[Any], list[Any]]:
    with CaptureQueriesContext(connection) as queries:
        through_sql = _walk(client, params)
    # The SQL form read the pages (its alias "a" for the appointments): whoever may list
    # anything (the others are answered without a query).
    listed = any(body["results"] for body in through_sql)
    assert listed <= any("FROM appointments_appointment a JOIN" in q["sql"] for q in queries)
    monkeypatch.setattr(selectors, "_LISTED_SQL_COLUMNS", ())
    with CaptureQueriesContext(connection) as queries:
        through_orm = _walk(client, params)
    assert not any("FROM appointments_appointment a JOIN" in q["sql"] for q in queries)
    monkeypatch.undo()
    return through_sql, through_orm


def _users(world) -> dict[str, User]:
    doctor_user = world["doctor"].user
    return {
        "doctor": doctor_user,
        "colleague": world["colleague"].user,
        "patient": world["patients"][0],
        "patient seen by the colleague only": world["patients"][4],
        "receptionist": UserFactory.create(role="receptionist"),
        "administrator": UserFactory.create(role="admin"),
        "superuser patient": UserFactory.create(role="patient", is_superuser=True),
        "nurse without a practitioner row": UserFactory.create(role="nurse"),
        "compliance officer": UserFactory.create(role="compliance_officer"),
    }


FILTERS = [
    {},
    {"when": "upcoming"},
    {"when": "past"},
    {"status": "cancelled"},
    {"status": "held", "when": "upcoming"},
    {"practitioner": "me"},
    {"practitioner": "me", "when": "past", "status": "completed"},
    {"date_from": "2026-02-10", "date_to": "2026-02-25"},
]


@pytest.mark.parametrize(
    "who",
    [
        "doctor",
        "colleague",
        "patient",
        "patient seen by the colleague only",
        "receptionist",
        "administrator",
        "superuser patient",
        "nurse without a practitioner row",
        "compliance officer",
    ],
)
@pytest.mark.parametrize("params", FILTERS, ids=lambda params: "&".join(params) or "none")
def test_every_page_is_the_orms_for_every_role_and_filter(world, monkeypatch, who, params):
    client = api_as(_users(world)[who])

    through_sql, through_orm = _both_forms(monkeypatch, client, params)

    assert through_sql == through_orm


@pytest.mark.parametrize("as_whom", ["doctor", "receptionist"])
def test_the_filters_naming_people_and_zones_are_the_orms(world, monkeypatch, as_whom):
    client = api_as(_users(world)[as_whom])
    cases = [
        {"practitioner": str(world["colleague"].public_id)},
        {"practitioner": str(world["far"].public_id), "date_from": "2026-02-20"},
        {"practitioner": str(world["colleague"].public_id), "date_to": "2026-02-01"},
        {"patient": str(world["patients"][1].public_id)},
        {"patient": str(world["patients"][4].public_id), "when": "upcoming"},
        {"updated_since": (NOW - HOUR).isoformat()},
        {"updated_since": (NOW + HOUR).isoformat()},
        {"practitioner": "00000000-0000-0000-0000-000000000000"},
    ]
    listed_any = False
    for params in cases:
        through_sql, through_orm = _both_forms(monkeypatch, client, params)
        assert through_sql == through_orm, params
        listed_any = listed_any or any(body["results"] for body in through_sql)
    assert listed_any


def test_the_pages_are_read_across_equal_starts(world):
    """The cases above end pages inside runs of equal starts (DRF's cursor offset)."""
    client = api_as(_users(world)["receptionist"])

    bodies = _walk(client, {})

    first = bodies[0]["results"]
    assert len(first) == 50
    assert first[49]["start"] == bodies[1]["results"][0]["start"]
    cursor = base64.b64decode(bodies[0]["next"].split("cursor=")[1].replace("%3D", "=")).decode()
    assert "o=" in cursor  # an offset into the run


@pytest.mark.parametrize(
    "position",
    ["garbage", "2026-02-20", "2026-02-20 10:00:00", "2026-02-20 10:00:00+05:00", "9999-99-99"],
)
@pytest.mark.parametrize("reverse", ["0", "1"])
@pytest.mark.filterwarnings("ignore:DateTimeField Appointment.start received a naive datetime")
def test_a_forged_cursor_is_answered_as_the_orm_answers_it(world, monkeypatch, position, reverse):
    client = api_as(_users(world)["doctor"])
    cursor = base64.urlsafe_b64encode(f"o=1&r={reverse}&p={position}".encode()).decode()

    through_sql = client.get("/api/v1/appointments", {"cursor": cursor})
    monkeypatch.setattr(selectors, "_LISTED_SQL_COLUMNS", ())
    through_orm = client.get("/api/v1/appointments", {"cursor": cursor})

    assert through_sql.status_code == through_orm.status_code
    if through_orm.status_code == 200:
        assert through_sql.json() == through_orm.json()
    else:
        assert through_sql.status_code == 400
        assert through_sql.json()["code"] == through_orm.json()["code"] == "VALIDATION_ERROR"


def test_the_sql_reads_the_listed_columns():
    assert tuple(LISTED_COLUMNS) == selectors._LISTED_SQL_COLUMNS


def test_the_page_is_one_statement_after_the_reach(world):
    client = api_as(_users(world)["doctor"])

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/appointments", {"when": "upcoming"})

    assert response.status_code == 200
    statements = [
        q["sql"] for q in queries if "appointments_" in q["sql"] and "ARRAY(" not in q["sql"]
    ]
    pages = [sql for sql in statements if "FROM appointments_appointment a JOIN" in sql]
    assert len(pages) == 1
    # The patients in care as one array, the start bound of "upcoming" as written out.
    assert "a.patient_id = ANY(" in pages[0]
    assert '- (SELECT "end" - "start" FROM appointments_appointment' in pages[0]
