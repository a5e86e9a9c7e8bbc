"""core.db.postgresql: Django's PostgreSQL backend with psycopg's C loader for timestamptz.
The values it reads must be exactly those Django's own loader reads (aware, in UTC)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]

pytestmark = [pytest.mark.django_db, pytest.mark.services("DATABASE_URL")]

_INSTANTS = (
    "2026-03-29 00:59:59.999999+00",  # the last instant before summer time in Europe
    "2026-03-29 01:00:00+00",
    "2026-10-25 00:30:00.5+00",  # inside the autumn's repeated hour (Europe/London)
    "2026-07-01 12:00:00-07",  # an offset other than the session's
    "1999-12-31 23:59:59.000001+00",
    "2400-02-29 12:00:00+05:30",
    "0001-01-01 00:00:00+00",
)


def _read(cursor) -> list[datetime.datetime]:
    cursor.execute(
        "SELECT value::timestamptz FROM unnest(%s::text[]) WITH ORDINALITY AS t(value, n) "
        "ORDER BY n",
        [list(_INSTANTS)],
    )
    return [row[0] for row in cursor.fetchall()]


def test_the_backend_reads_timestamptz_with_the_c_loader():
    from psycopg_binary._psycopg import TimestamptzLoader  # type: ignore[attr-defined]

    assert connection.settings_dict["ENGINE"] == "core.db.postgresql"
    with connection.cursor() as cursor:
        loader = cursor.connection.adapters.get_loader(1184, 0)  # timestamptz, text
        assert loader is TimestamptzLoader
        cursor.execute("SHOW TIME ZONE")
        assert cursor.fetchone() == ("UTC",)


def test_the_c_loader_reads_what_djangos_loader_reads():
    with connection.cursor() as cursor:
        ours = _read(cursor)
        # Django's own loader, on this cursor only.
        register_tzloader(connection.timezone, cursor.cursor)
        djangos = _read(cursor)

    assert ours == djangos
    assert [value.tzinfo for value in ours] == [datetime.UTC] * len(_INSTANTS)
    assert [value.isoformat() for value in ours] == [value.isoformat() for value in djangos]
    assert ours[3] == datetime.datetime(2026, 7, 1, 19, 0, tzinfo=datetime.UTC)
    assert ours[2].microsecond == 500_000


def test_model_instants_round_trip_through_the_orm():
    from accounts.models import User

    joined = datetime.datetime(2026, 3, 29, 0, 59, 59, 999_999, tzinfo=datetime.UTC)
    user = User.objects.create_user(email="instants@example.com", password=None)
    User.objects.filter(pk=user.pk).update(date_joined=joined)

    read = User.objects.values_list("date_joined", flat=True).get(pk=user.pk)

    assert read == joined
    assert read.tzinfo is datetime.UTC


def test_json_results_are_what_the_standard_library_reads():
    import json

    import orjson

    with connection.cursor() as cursor:
        loader = cursor.connection.adapters.get_loader(114, 0)  # json, text
        assert loader._loads is orjson.loads
        cursor.execute(
            "SELECT row_to_json(t), row_to_json(t)::text FROM (SELECT 1 AS n, 2.5 AS x, "
            "'Zoë \"q\" \\u2028'::text AS s, NULL AS z, true AS b, "
            "'2026-03-29 01:00:00+00'::timestamptz AS at, ARRAY[1,2] AS a, "
            "9007199254740993::bigint AS big) t"
        )
        parsed, text = cursor.fetchone()

    assert parsed == json.loads(text)
    assert parsed["big"] == 9007199254740993
    assert parsed["s"] == 'Zoë "q" \\u2028'


def test_jsonb_columns_are_still_read_by_djangos_json_field():
    from core.models import IdempotencyRecord
    from tests.factories import UserFactory

    user = UserFactory.create()
    body = {"id": "x", "n": [1, 2.5, None], "text": "Zoë"}
    record = IdempotencyRecord.objects.create(
        user=user, key="k", request_hash="h", response_status=201, response_body=body
    )

    assert IdempotencyRecord.objects.get(pk=record.pk).response_body == body
