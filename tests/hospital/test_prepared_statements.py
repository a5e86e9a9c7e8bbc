"""core.db.prepared_cursor: the hot paths' fixed-shape statements are prepared once per
connection (PostgreSQL plans them once, then runs a generic plan), read the same values as
Django's cursor, are logged and counted like any query, raise Django's errors, and are plain
statements where preparing is turned off (DATABASE_PREPARED_STATEMENTS=false) or on SQLite."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError, ProgrammingError
from django.test.utils import CaptureQueriesContext

from core.db.prepared import prepared_cursor

pytestmark = pytest.mark.django_db

POSTGRESQL = pytest.mark.services("DATABASE_URL")

_VALUES = (
    "SELECT %s::timestamptz, %s::date, %s::uuid, %s::text[], %s::bigint, "
    "row_to_json(t) FROM (SELECT 1 AS one, 'x' AS two) t"
)
_PARAMS = [
    datetime.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=datetime.UTC),
    datetime.date(2400, 2, 29),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    ["a", "b'c", None],
    2**53 + 1,
]


def _prepared_here(statement_start: str) -> list[tuple[int, int]]:
    """(generic plans, custom plans) of this connection's prepared statements like this."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            [statement_start + "%"],
        )
        return [tuple(row) for row in cursor.fetchall()]


@POSTGRESQL
def test_a_statement_is_prepared_once_then_planned_no_more():
    sql = "SELECT count(*) FROM accounts_user WHERE id > %s AND email <> %s"
    for n in range(8):
        with prepared_cursor() as cursor:
            cursor.execute(sql, [n, "nobody@example.test"])
            assert cursor.fetchone() == (0,)

    # One statement for the eight runs: PostgreSQL's first five are custom plans, then its
    # generic plan (planned once) is used.
    assert _prepared_here("SELECT count(*) FROM accounts_user WHERE id > $1") == [(3, 5)]


@POSTGRESQL
def test_it_reads_what_djangos_cursor_reads():
    with connection.cursor() as cursor:
        cursor.execute(_VALUES, _PARAMS)
        djangos = cursor.fetchone()
    with prepared_cursor() as cursor:
        cursor.execute(_VALUES, _PARAMS)
        ours = cursor.fetchone()

    assert ours == djangos
    assert ours[0].tzinfo is datetime.UTC and ours[0] == _PARAMS[0]
    assert ours[5] == {"one": 1, "two": "x"}


@POSTGRESQL
def test_it_is_logged_and_counted_like_any_query():
    with CaptureQueriesContext(connection) as queries, prepared_cursor() as cursor:
        cursor.execute("SELECT %s::text || %s::text", ["it's ", "logged"])

    assert queries.captured_queries[-1]["sql"] == "SELECT 'it''s '::text || 'logged'::text"


@POSTGRESQL
def test_its_errors_are_djangos():
    with pytest.raises(ProgrammingError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT nothing FROM nowhere WHERE 1 = %s", [1])
    # The failed statement is not kept as prepared; the connection goes on.
    assert _prepared_here("SELECT nothing") == []
    with transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute("SELECT %s::int", [7])
        assert cursor.fetchone() == (7,)
    with pytest.raises(IntegrityError), transaction.atomic(), prepared_cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (id) VALUES (%s)", [1]
        )  # NOT NULL columns: refused by the database, raised as Django's error


@POSTGRESQL
def test_turned_off_it_is_djangos_cursor():
    options = {**connection.settings_dict["OPTIONS"], "prepare_threshold": None}
    saved = connection.settings_dict["OPTIONS"]
    connection.settings_dict["OPTIONS"] = options
    try:
        for n in range(6):
            with prepared_cursor() as cursor:
                cursor.execute("SELECT %s::int * 3", [n])
                assert cursor.fetchone() == (n * 3,)
    finally:
        connection.settings_dict["OPTIONS"] = saved
    assert _prepared_here("SELECT $1::int * 3") == []


def test_other_databases_get_their_own_cursor():
    with prepared_cursor() as cursor:
        cursor.execute("SELECT 1 + %s", [1])
        assert cursor.fetchone() == (2,)
