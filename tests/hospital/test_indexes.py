"""Query shape: no index that another index already makes redundant (issue 10).

Each index costs every INSERT and UPDATE of its table; a single-column index whose column
leads a composite index serves no lookup the composite does not.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

OUR_APPS = {"accounts", "appointments", "audit", "core"}


def _indexes(table: str) -> dict[str, dict[str, object]]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def _is_partial(index: str) -> bool:
    """A partial index (WHERE ...) covers only some rows, so it makes nothing redundant."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT x.indpred IS NOT NULL FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " WHERE i.relname = %s",
                [index],
            )
            return bool(cursor.fetchone()[0])
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [index])
        row = cursor.fetchone()
        return bool(row and row[0] and " WHERE " in row[0].upper())


def _redundant_indexes() -> list[str]:
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_label not in OUR_APPS or model._meta.auto_created:
            continue
        indexes = {
            name: info
            for name, info in _indexes(model._meta.db_table).items()
            if info["index"] and not info["primary_key"] and info.get("type") in ("btree", "idx")
        }
        for name, info in indexes.items():
            columns = info["columns"]
            if info["unique"] or not isinstance(columns, list) or len(columns) != 1:
                continue
            if name.endswith("_like"):  # PostgreSQL's pattern-ops index: serves LIKE, not =
                continue
            for other_name, other in indexes.items():
                other_columns = other["columns"]
                if (
                    other_name != name
                    and isinstance(other_columns, list)
                    and len(other_columns) > 1
                    and other_columns[0] == columns[0]
                    and not other.get("definition")
                    and not _is_partial(other_name)
                ):
                    found.append(f"{model._meta.db_table}.{name} (led by {other_name})")
    return found


def test_no_single_column_index_repeats_the_lead_of_a_composite_one() -> None:
    assert _redundant_indexes() == []


@pytest.mark.parametrize(
    ("table", "column", "composite"),
    [
        ("appointments_appointment", "patient_id", "appointments_patient_start_idx"),
        ("appointments_appointment", "practitioner_id", "appointments_pract_start_idx"),
        ("accounts_authsession", "user_id", "accounts_session_user_idx"),
        ("accounts_apitoken", "session_id", "accounts_token_session_idx"),
        ("audit_auditevent", "actor_id", "audit_actor_time_idx"),
        ("audit_auditevent", "patient_id", "audit_patient_time_idx"),
    ],
)
def test_the_composite_index_is_kept_where_the_single_one_went(
    table: str, column: str, composite: str
) -> None:
    indexes = _indexes(table)
    assert composite in indexes
    assert indexes[composite]["columns"][0] == column  # type: ignore[index]
    singles = [
        name
        for name, info in indexes.items()
        if info["index"] and info["columns"] == [column] and not info["unique"]
    ]
    assert singles == []
