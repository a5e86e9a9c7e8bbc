"""The public home page says where each open department is (and how to get there), read from
the cache: a department that moves shows on the next page, the busiest page still makes no
query, and it answers without the list while neither the database nor the cache can say."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client

from accounts.services.directory import department_create, department_update
from tests.conftest import UNREACHABLE_REDIS_CACHE

pytestmark = pytest.mark.django_db


@pytest.fixture
def cardiology(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return department_create(
            code="cardio-loc",
            name="Cardiology",
            location="Building B, second floor",
            directions="From the main entrance, take lift B.",
        )


def _locations(html: str) -> str:
    assert 'aria-labelledby="locations-heading"' in html
    return html.split('aria-labelledby="locations-heading"', 1)[1].split("</section>", 1)[0]


def test_open_departments_say_where_they_are_on_the_signed_out_home_page(cardiology):
    department_create(code="derm-loc", name="Dermatology", location="Old wing")
    department_update(
        department=department_create(code="closed-2", name="Gone Ward", location="Annex"),
        changed_by=None,
        is_active=False,
    )
    department_create(code="no-place", name="Telehealth", location="")

    html = Client().get("/").content.decode()

    listed = _locations(html)
    assert "Cardiology" in listed and "Building B, second floor" in listed
    assert "From the main entrance, take lift B." in listed
    assert "Dermatology" in listed and "Old wing" in listed
    assert "Gone Ward" not in listed  # closed
    assert "Telehealth" not in listed  # says nowhere


def test_a_department_that_moves_shows_on_the_next_page_and_the_page_still_reads_nothing(
    cardiology, django_assert_num_queries, django_capture_on_commit_callbacks
):
    Client().get("/")
    with django_capture_on_commit_callbacks(execute=True):
        department_update(department=cardiology, changed_by=None, location="Building C, ground")

    moved = Client().get("/").content.decode()
    with django_assert_num_queries(0):
        again = Client().get("/").content.decode()

    assert "Building C, ground" in _locations(moved)
    assert "Building B" not in moved
    assert again == moved


def test_signed_in_people_see_the_locations_too(cardiology, patient):
    client = Client()
    client.force_login(patient)

    assert "Building B, second floor" in _locations(client.get("/").content.decode())


def _database_down(execute, sql, params, many, context):
    raise OperationalError("connection to server failed: Connection refused")


def test_without_the_database_the_page_answers_without_the_list(cardiology):
    with connection.execute_wrapper(_database_down):
        response = Client(raise_request_exception=False).get("/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Contact us" in html
    assert "locations-heading" not in html


def test_remembered_locations_need_no_database(cardiology):
    Client().get("/")  # remembered in the cache

    with connection.execute_wrapper(_database_down):
        html = Client(raise_request_exception=False).get("/").content.decode()

    assert "Building B, second floor" in _locations(html)


@pytest.mark.services("REDIS_URL")
def test_without_the_cache_the_locations_come_from_the_database(cardiology, settings):
    settings.CACHES = {"default": UNREACHABLE_REDIS_CACHE}

    response = Client(raise_request_exception=False).get("/")

    assert response.status_code == 200
    assert "Building B, second floor" in _locations(response.content.decode())
