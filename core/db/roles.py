"""Least privilege in PostgreSQL: two roles.

- The owner (``DATABASE_MIGRATE_URL``) owns every table: ``manage.py migrate`` connects as it.
- The application's role (``DATABASE_URL``, what the servers and workers connect as) may read
  and write rows, but only read and insert on the append-only tables (the audit trail: models
  with ``append_only = True``), and nothing else: no UPDATE, DELETE or TRUNCATE there, no DDL,
  no ownership (so no ``ALTER TABLE ... DISABLE TRIGGER``), not a superuser (so no
  ``session_replication_role``). The triggers on those tables are the second line.

After each ``migrate`` run as the owner, ``grant_application_role`` (a post_migrate handler)
sets the application's privileges on every table from scratch, so a table a migration created
or re-created is covered, and the rule lives here once. Partitions get nothing: the
application reaches them through their parent, whose privileges PostgreSQL checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Warning
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")
APPEND_ONLY_PRIVILEGES = "SELECT, INSERT"
TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"


def append_only_tables() -> set[str]:
    return {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if getattr(model, "append_only", False)
    }


def owner_credentials() -> dict[str, str] | None:
    owner: dict[str, str] | None = getattr(settings, "DATABASE_OWNER", None)
    return owner


def use_credentials(connection: BaseDatabaseWrapper, credentials: dict[str, Any]) -> None:
    """Reconnect ``connection`` (this thread's, and its pool) with other credentials."""
    connection.close()
    # A pool keeps connections made with the previous credentials.
    pools: dict[str, Any] = getattr(connection, "_connection_pools", {})
    if connection.alias in pools:
        connection.close_pool()  # type: ignore[attr-defined]
    connection.settings_dict.update(credentials)


@contextmanager
def connected_as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[BaseDatabaseWrapper]:
    """The connection ``alias`` as the owner role while inside (as itself without
    DATABASE_MIGRATE_URL, where one role owns and uses the tables)."""
    connection = connections[alias]
    owner = owner_credentials()
    current = {key: connection.settings_dict.get(key) for key in CREDENTIALS}
    if alias != DEFAULT_DB_ALIAS or not owner or current == owner:
        yield connection
        return
    use_credentials(connection, owner)
    try:
        yield connection
    finally:
        use_credentials(connection, current)


def grant_application_role(using: str = DEFAULT_DB_ALIAS, **kwargs: object) -> None:
    """Give the application's role its privileges on every table of the schema (post_migrate).

    Nothing to do without a separate application role, on SQLite, or when the connection is
    the application's role itself (a test run's flush emits post_migrate as it)."""
    role = getattr(settings, "DATABASE_APP_ROLE", "")
    connection = connections[using]
    if not role or connection.vendor != "postgresql":
        return
    append_only = append_only_tables()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_schema()")
        user, schema = cursor.fetchone()
        if user == role:
            return
        grantee = sql.Identifier(role)
        cursor.execute(
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(schema), grantee)
        )
        # Tables, partitioned parents and views of the schema; not partitions.
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'S') "
            "AND NOT c.relispartition ORDER BY c.relname"
        )
        relations = cursor.fetchall()
        sequence_owners = _sequence_tables(cursor)
        for name, kind in relations:
            if kind == "S":
                # nextval for inserts; setval (UPDATE) only where rows may be rewritten anyway.
                owned_by_append_only = sequence_owners.get(name) in append_only
                privileges = "USAGE, SELECT" if owned_by_append_only else "USAGE, SELECT, UPDATE"
                target = sql.SQL("SEQUENCE {}").format(sql.Identifier(name))
            else:
                if name in append_only:
                    privileges = APPEND_ONLY_PRIVILEGES
                elif name == "django_migrations":
                    privileges = "SELECT"  # the application never migrates
                else:
                    privileges = TABLE_PRIVILEGES
                target = sql.SQL("TABLE {}").format(sql.Identifier(name))
            cursor.execute(sql.SQL("REVOKE ALL ON {} FROM {}").format(target, grantee))
            cursor.execute(
                sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privileges), target, grantee)
            )


def _sequence_tables(cursor: Any) -> dict[str, str]:
    """Each sequence of the schema and the table whose column it feeds (identity or serial)."""
    cursor.execute(
        "SELECT s.relname, t.relname FROM pg_depend d "
        "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "JOIN pg_namespace n ON n.oid = s.relnamespace "
        "WHERE n.nspname = current_schema() AND d.deptype IN ('a', 'i')"
    )
    return dict(cursor.fetchall())


def check_application_role(
    *,
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """``manage.py check --deploy --database default``: warn when the servers' connection may
    do what the application's role must not (README "Two database roles")."""
    messages: list[CheckMessage] = []
    hint = (
        "Connect as the application's role (DATABASE_URL) and run migrations as the owner "
        "(DATABASE_MIGRATE_URL): README, Two database roles."
    )
    for alias in databases or []:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.rolsuper, "
                "coalesce(pg_has_role(c.relowner, 'MEMBER'), false), "
                "coalesce(has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE'), false) "
                "FROM pg_roles r LEFT JOIN pg_class c "
                "ON c.oid = to_regclass('audit_auditevent') WHERE r.rolname = current_user"
            )
            superuser, owner, may_rewrite = cursor.fetchone()
        if superuser:
            messages.append(
                Warning(
                    f"{alias}: connected to PostgreSQL as a superuser.", hint=hint, id="core.W001"
                )
            )
        elif owner:
            messages.append(
                Warning(
                    f"{alias}: connected as the owner of the audit tables, which may switch "
                    "their triggers off.",
                    hint=hint,
                    id="core.W002",
                )
            )
        elif may_rewrite:
            messages.append(
                Warning(
                    f"{alias}: the connection may update, delete or truncate audit rows.",
                    hint=hint,
                    id="core.W003",
                )
            )
    return messages
