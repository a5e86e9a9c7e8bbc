"""Working hours and leave are named outside the database by random public ids only: in API
payloads and URLs and in the manage page's forms. An integer id names nothing."""

from __future__ import annotations

import datetime
import json
import re
import uuid

import pytest
import time_machine

from appointments.models import AvailabilityException, WorkingHours
from tests.appointments.conftest import NOW, api_as
from tests.conftest import login_verified
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

_INTEGER_SEGMENT = re.compile(r"/(hours|exceptions|working-hours)/\d+(/|\"|$)")
# The API's resources of this app, by the tags of their operations.
_TAGS = {"appointments", "schedules", "waitlist"}
_REF = re.compile(r'"#/components/schemas/([A-Za-z0-9_]+)"')


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def leave(practitioner):
    start = datetime.datetime(2026, 3, 9, tzinfo=datetime.UTC)
    return AvailabilityException.objects.create(
        practitioner=practitioner, kind="leave", start=start, end=start + datetime.timedelta(days=1)
    )


@pytest.fixture
def admin_api(db):
    return api_as(UserFactory.create(role="admin"))


def _ids(rows):
    return [row["id"] for row in rows]


@pytest.mark.asvs("8.2.2", "14.2.1")
def test_the_api_names_working_hours_and_leave_by_public_id(admin_api, practitioner, leave):
    base = f"/api/v1/practitioners/{practitioner.public_id}"
    rule = practitioner.working_hours.get()

    hours = admin_api.get(f"{base}/working-hours").json()["results"]  # cursor pages
    exceptions = admin_api.get(f"{base}/exceptions").json()["results"]
    added = admin_api.post(
        f"{base}/working-hours",
        {"weekday": 3, "start_time": "09:00", "end_time": "10:00", "valid_from": "2026-01-01"},
        format="json",
    ).json()
    by_integer = admin_api.delete(f"{base}/working-hours/{rule.pk}")
    removed_rule = admin_api.delete(f"{base}/working-hours/{rule.public_id}")
    removed_leave = admin_api.delete(f"{base}/exceptions/{leave.public_id}")
    unknown = admin_api.delete(f"{base}/exceptions/{uuid.uuid4()}")

    assert _ids(hours) == [str(rule.public_id)]
    assert _ids(exceptions) == [str(leave.public_id)]
    assert added["id"] == str(WorkingHours.objects.get(weekday=3).public_id)
    assert by_integer.status_code == 404
    assert (removed_rule.status_code, removed_leave.status_code) == (204, 204)
    assert unknown.status_code == 404
    assert not WorkingHours.objects.filter(pk=rule.pk).exists()
    assert not AvailabilityException.objects.exists()


@pytest.mark.asvs("8.2.2", "14.2.1")
def test_the_manage_page_removes_by_public_id(client, practitioner, leave):
    login_verified(client, UserFactory.create(role="admin"))
    page_url = f"/appointments/manage/{practitioner.public_id}/"
    rule = practitioner.working_hours.get()

    html = client.get(page_url).content.decode()
    by_integer = client.post(f"{page_url}hours/{rule.pk}/remove/")
    removed_rule = client.post(f"{page_url}hours/{rule.public_id}/remove/")
    removed_leave = client.post(f"{page_url}exceptions/{leave.public_id}/remove/")

    assert f"{page_url}hours/{rule.public_id}/remove/" in html
    assert f"{page_url}exceptions/{leave.public_id}/remove/" in html
    assert not _INTEGER_SEGMENT.search(html)
    assert by_integer.status_code == 404
    assert removed_rule.status_code == removed_leave.status_code == 302
    assert not WorkingHours.objects.filter(pk=rule.pk).exists()
    assert not AvailabilityException.objects.exists()


def _components_of(schema, operations):
    """The schemas these operations name, and those they name in turn."""
    components = schema["components"]["schemas"]
    wanted: set[str] = set(_REF.findall(json.dumps(operations)))
    seen: set[str] = set()
    while wanted - seen:
        name = (wanted - seen).pop()
        seen.add(name)
        wanted |= set(_REF.findall(json.dumps(components[name])))
    return {name: components[name] for name in seen}


@pytest.mark.asvs("14.2.1")
def test_the_schema_documents_public_ids_only(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operations = [
        (path, operation)
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        if _TAGS & set(operation.get("tags", []))
    ]

    components = _components_of(schema, [operation for _, operation in operations])

    for path, operation in operations:
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"].get("format") == "uuid", (path, parameter)
    for name, component in components.items():
        for field, spec in component.get("properties", {}).items():
            if (field == "id" or field.endswith("_id")) and (name, field) != (
                "Problem",
                "request_id",  # the request's id for support, not a row's
            ):
                assert spec.get("format") == "uuid", (name, field, spec)
    assert components["WorkingHoursOutput"]["properties"]["id"]["readOnly"] is True
    assert components["ScheduleExceptionOutput"]["properties"]["id"]["readOnly"] is True


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_every_existing_row_its_own_public_id():
    from core.db.roles import connected_as_owner, grant_application_role

    # Migrations run as the owner of the tables (core/db/roles.py), then grant them again.
    with connected_as_owner():
        _migrate_back_and_forth()
        grant_application_role()

    hours = list(WorkingHours.objects.values_list("public_id", flat=True))
    exceptions = list(AvailabilityException.objects.values_list("public_id", flat=True))
    assert len(hours) == len(set(hours)) == 3
    assert all(isinstance(public_id, uuid.UUID) for public_id in hours + exceptions)
    assert len(exceptions) == 1


def _migrate_back_and_forth() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("appointments", "0005_role_permissions")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    department = old.get_model("accounts", "Department").objects.create(code="x", name="X")
    user = old.get_model("accounts", "User").objects.create(email="dr@hospital.test", role="doctor")
    practitioner = old.get_model("appointments", "Practitioner").objects.create(
        user=user, department=department
    )
    for weekday in range(3):
        old.get_model("appointments", "WorkingHours").objects.create(
            practitioner=practitioner,
            weekday=weekday,
            start_time=datetime.time(9),
            end_time=datetime.time(12),
            valid_from=datetime.date(2026, 1, 1),
        )
    start = datetime.datetime(2026, 3, 9, tzinfo=datetime.UTC)
    old.get_model("appointments", "AvailabilityException").objects.create(
        practitioner=practitioner, start=start, end=start + datetime.timedelta(days=1)
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
