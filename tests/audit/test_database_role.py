"""Least privilege in PostgreSQL (core/db/roles.py): the suite runs as the application's role,
which may only read and insert on the audit tables, owns nothing and is not a superuser; the
tables belong to the owner, which migrated them. In CI (DATABASE_MIGRATE_URL set by .ci/run)
these tests fail rather than pass vacuously when the suite runs as an owner or a superuser."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from tests.conftest import IN_CI
from tests.database_roles import owner_connection
from tests.hospital.run_manage import run_manage

pytestmark = [pytest.mark.django_db, pytest.mark.services("DATABASE_URL")]

AUDIT_TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditcheckpoint")


@pytest.fixture(autouse=True)
def _two_roles() -> None:
    if connection.vendor != "postgresql":
        pytest.fail("DATABASE_URL must point at PostgreSQL for these tests")
    if not settings.DATABASE_APP_ROLE:
        message = "DATABASE_MIGRATE_URL is not set: the suite runs as one role, the owner."
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def one(statement: str, params: list[str] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def refused(statement: str) -> str:
    with pytest.raises(DatabaseError) as refusal, transaction.atomic():
        one(statement)
    return str(refusal.value)


def test_the_suite_runs_as_the_application_role_which_owns_nothing_and_is_no_superuser():
    assert one("SELECT current_user") == settings.DATABASE_APP_ROLE
    assert one("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
    assert (
        one("SELECT rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = current_user")
        is False
    )
    owned = one(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND pg_get_userbyid(c.relowner) = current_user"
    )
    assert owned == 0
    # Every table is the owner's, which migrated it.
    owners = one(
        "SELECT array_agg(DISTINCT tableowner) FROM pg_tables WHERE schemaname = current_schema()"
    )
    assert settings.DATABASE_OWNER is not None
    assert owners == [settings.DATABASE_OWNER["USER"]]


@pytest.mark.parametrize("table", AUDIT_TABLES)
def test_the_application_role_cannot_change_remove_or_unprotect_the_audit_rows(table):
    denied = f"permission denied for table {table}"
    # The table names are the constants above.
    assert denied in refused(f"UPDATE {table} SET {_column(table)} = {_column(table)}")  # noqa: S608
    assert denied in refused(f"DELETE FROM {table}")  # noqa: S608
    assert denied in refused(f"TRUNCATE {table}")
    assert f"must be owner of table {table}" in refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    assert f"must be owner of relation {table}" in refused(
        f"DROP TRIGGER {table}_refuse_truncate ON {table}"
    )
    assert f"must be owner of table {table}" in refused(f"DROP TABLE {table}")
    # Reading and appending is what it is for.
    assert one(f"SELECT has_table_privilege('{table}', 'SELECT, INSERT')") is True
    assert (
        one(
            f"SELECT has_table_privilege('{table}', 'UPDATE, DELETE, TRUNCATE, TRIGGER, REFERENCES')"
        )
        is False
    )


def test_the_application_role_cannot_switch_triggers_off_or_rewind_the_sequence():
    assert "permission denied to set parameter" in refused("SET session_replication_role = replica")
    assert "permission denied for sequence" in refused(
        "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1)"
    )
    assert "permission denied for schema public" in refused("CREATE TABLE shadow (id int)")
    assert "permission denied for table django_migrations" in refused(
        "DELETE FROM django_migrations"
    )


def test_the_other_tables_are_read_and_written_by_the_application_role():
    """Every table but the append-only ones and django_migrations: SELECT, INSERT, UPDATE,
    DELETE, granted after each migrate (a table a later migration adds is covered too)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, has_table_privilege(tablename, 'SELECT, INSERT, UPDATE, DELETE') "
            "AND has_table_privilege(tablename, 'SELECT') "
            "AND NOT has_table_privilege(tablename, 'TRUNCATE') "
            "FROM pg_tables WHERE schemaname = current_schema()"
        )
        rows = dict(cursor.fetchall())
    exceptions = {*AUDIT_TABLES, "django_migrations"}
    assert set(rows) > exceptions
    assert [table for table, ok in rows.items() if not ok and table not in exceptions] == []
    assert one("SELECT has_table_privilege('accounts_user', 'UPDATE')") is True


@pytest.mark.django_db(transaction=True)
def test_the_owner_meets_the_truncate_trigger_as_a_second_line():
    """Should the application ever connect as the owner, TRUNCATE is still refused."""
    for table in AUDIT_TABLES:
        with (
            owner_connection() as owner,
            pytest.raises(DatabaseError, match=r"append-only \(TRUNCATE refused\)"),
            transaction.atomic(using="owner"),
            owner.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table}")


def _column(table: str) -> str:
    return "action" if table == "audit_auditevent" else "hash"


def test_manage_py_migrate_connects_as_the_owner_and_grants_the_application_role(tmp_path):
    """The release job's path: a new database, `manage.py migrate` with both URLs; the tables
    are the owner's, the application's role gets its privileges, the audit ones restricted."""
    import psycopg

    app = connection.settings_dict
    owner = settings.DATABASE_OWNER
    assert owner is not None
    name = f"roles_{uuid.uuid4().hex[:12]}"

    def url(credentials: dict[str, str], database: str) -> str:
        user, password = quote(credentials["USER"]), quote(credentials["PASSWORD"] or "")
        return (
            f"postgres://{user}:{password}@{credentials['HOST']}:{credentials['PORT'] or 5432}"
            f"/{database}"
        )

    def server(credentials: dict[str, str], database: str) -> psycopg.Connection[Any]:
        return psycopg.connect(url(credentials, database), autocommit=True)

    with server(owner, "postgres") as maintenance:
        maintenance.execute(f'CREATE DATABASE "{name}"')
    try:
        result = run_manage(
            "migrate",
            "--no-input",
            env={"DATABASE_URL": url(app, name), "DATABASE_MIGRATE_URL": url(owner, name)},
            tmp_var=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        with server(app, name) as as_app:
            owners = as_app.execute(
                "SELECT array_agg(DISTINCT tableowner) FROM pg_tables "
                "WHERE schemaname = current_schema()"
            ).fetchone()
            may = as_app.execute(
                "SELECT has_table_privilege('audit_auditevent', 'INSERT'), "
                "has_table_privilege('audit_auditevent', 'UPDATE'), "
                "has_table_privilege('accounts_user', 'UPDATE')"
            ).fetchone()
        assert owners == ([owner["USER"]],)
        assert may == (True, False, True)
    finally:
        with server(owner, "postgres") as maintenance:
            maintenance.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_the_deploy_check_warns_when_the_servers_connect_as_the_owner():
    from core.db.roles import check_application_role

    assert check_application_role(databases=["default"]) == []
    with owner_connection():
        (warning,) = check_application_role(databases=["owner"])
    assert warning.id == "core.W002"
    assert "owner of the audit tables" in warning.msg
