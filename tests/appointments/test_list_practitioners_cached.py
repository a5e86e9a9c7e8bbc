"""The appointments list reads its practitioners from the slot search's catalog
(``practitioners_listed``): no query once cached, and every change to what it shows of them
shows in the very next list. Transactional: cache entries are written after commit."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.models import Practitioner
from tests.appointments.conftest import MONDAY, api_as, at, book
from tests.conftest import UNREACHABLE_REDIS_CACHE

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services("REDIS_URL"),
    pytest.mark.usefixtures("api_responses_match_schema"),
]


def _listed(api) -> tuple[dict, bool]:
    """The list's first appointment's practitioner, and whether they were read from the
    database."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/appointments")
    assert response.status_code == 200
    read = any(
        "accounts_department" in query["sql"] and "appointments_appointment" not in query["sql"]
        for query in queries
    )
    return response.json()["results"][0]["practitioner"], read


@pytest.fixture
def listed(patient, practitioner, consultation):
    book(patient, practitioner, consultation, at(MONDAY, 9))
    return api_as(patient)


def test_the_second_list_reads_no_practitioner(listed, practitioner):
    first, first_read = _listed(listed)
    second, second_read = _listed(listed)

    assert first_read is True
    assert second_read is False
    assert second == first
    assert second["id"] == str(practitioner.public_id)
    assert second["name"] == practitioner.display_name


def test_every_change_to_what_the_list_shows_shows_at_once(listed, practitioner, department):
    _listed(listed)
    _listed(listed)

    practitioner.user.full_name = "Ada Renamed"
    practitioner.user.save(update_fields=["full_name"])
    renamed, read = _listed(listed)
    assert read is True
    assert renamed["name"].endswith("Ada Renamed")

    profile = practitioner.user.staff_profile
    profile.title = "Prof"
    profile.save()
    assert _listed(listed)[0]["name"] == "Prof Ada Renamed"

    department.name = "General Medicine"
    department.save()
    assert _listed(listed)[0]["department"]["name"] == "General Medicine"

    fresh = Practitioner.objects.get(pk=practitioner.pk)
    fresh.time_zone = "America/New_York"
    fresh.save()
    moved, read = _listed(listed)
    assert read is True
    assert moved["time_zone"] == "America/New_York"
    assert _listed(listed)[1] is False  # and cached again


def test_without_the_cache_the_list_reads_them_from_the_database(settings, listed, practitioner):
    settings.CACHES = {**settings.CACHES, "default": UNREACHABLE_REDIS_CACHE}
    first, read = _listed(listed)

    assert read is True
    assert first["name"] == practitioner.display_name
