"""List endpoints use a number of queries that does not grow with the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import sessions
from tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def api_as_patient(patient):
    pair = sessions.api_session_start(user=patient, request=None)
    return APIClient(HTTP_AUTHORIZATION=f"Bearer {pair.access_token}")


@pytest.mark.parametrize("rows", [1, 50])
def test_department_list_queries_do_not_grow(api_as_patient, rows, django_assert_num_queries):
    DepartmentFactory.create_batch(rows)

    with django_assert_num_queries(2):  # the token (with session and user), the departments
        response = api_as_patient.get("/api/v1/departments")

    assert len(response.json()) == rows


@pytest.mark.parametrize("rows", [1, 50])
def test_session_list_queries_do_not_grow(patient, rows, django_assert_num_queries):
    pairs = [sessions.api_session_start(user=patient, request=None) for _ in range(rows)]
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {pairs[0].access_token}")

    with django_assert_num_queries(2):  # the token (with session and user), the sessions
        response = api.get("/api/v1/account/sessions")

    assert len(response.json()["results"]) == rows  # a cursor page (issue 9 #3)
