"""An N+1 inside any request fails the test that made it (tests/conftest.py, django-zeal)."""

from __future__ import annotations

import pytest
from zeal import NPlusOneError

from tests.factories import StaffProfileFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.hospital.n_plus_one_urls")]


@pytest.fixture
def two_staff_profiles() -> None:
    StaffProfileFactory.create_batch(2)


@pytest.mark.usefixtures("two_staff_profiles")
def test_a_query_per_row_raises_inside_the_request(client) -> None:
    client.raise_request_exception = True
    with pytest.raises(NPlusOneError, match=r"StaffProfile\.user"):
        client.get("/n-plus-one")


@pytest.mark.usefixtures("two_staff_profiles")
def test_the_same_rows_read_with_a_join_pass(client) -> None:
    assert client.get("/joined").status_code == 200


@pytest.mark.usefixtures("two_staff_profiles")
def test_the_same_request_twice_is_not_an_n_plus_one(client) -> None:
    assert client.get("/joined").status_code == 200
    assert client.get("/joined").status_code == 200
