"""The test run's two PostgreSQL roles (core/db/roles.py).

The suite connects as the application's role (DATABASE_URL), as the servers do; the test
database is created and migrated as the owner (DATABASE_MIGRATE_URL), as a deployment's
migrate job does. Two things in a test run need more than the application may do, and get a
connection of their own as the owner: emptying the tables after a transactional test (a
TRUNCATE, refused to the application on the audit tables and by their trigger to everyone),
and the tampering tests' attacker. Without DATABASE_MIGRATE_URL the owner is DATABASE_URL's
user itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.utils import load_backend

from core.db.roles import append_only_tables, owner_credentials


def owner_settings() -> dict[str, Any]:
    """The default connection's settings (the test database) with the owner's credentials,
    without a pool: one connection, for one thread."""
    settings_dict = dict(connections[DEFAULT_DB_ALIAS].settings_dict)
    settings_dict.update(owner_credentials() or {})
    settings_dict["OPTIONS"] = {
        key: value for key, value in settings_dict["OPTIONS"].items() if key != "pool"
    }
    return settings_dict


def owner_wrapper(alias: str) -> BaseDatabaseWrapper:
    settings_dict = owner_settings()
    wrapper: BaseDatabaseWrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, alias
    )
    return wrapper


@contextmanager
def owner_connection(alias: str = "owner") -> Iterator[BaseDatabaseWrapper]:
    """A Django connection as the owner, registered as ``alias`` for this thread so querysets
    can use it (``.using(alias)``, ``transaction.atomic(using=alias)``)."""
    wrapper = owner_wrapper(alias)
    connections[alias] = wrapper
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[alias]


class OwnerFlush:
    """Runs Django's flush statements (TRUNCATE of every table) as the owner, with the
    append-only tables' triggers off inside the same transaction, so no other session ever
    sees them off. Installed for the session by tests/conftest.py on PostgreSQL."""

    def __init__(self) -> None:
        self._wrapper: BaseDatabaseWrapper | None = None

    def execute(self, sql_list: list[str]) -> None:
        if self._wrapper is None:
            self._wrapper = owner_wrapper("owner-flush")
        self._wrapper.ensure_connection()
        raw = self._wrapper.connection
        assert raw is not None
        protected = sorted(append_only_tables())
        with raw.transaction():
            for table in protected:
                raw.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            for statement in sql_list:
                raw.execute(statement)
            for table in protected:
                raw.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')

    def close(self) -> None:
        if self._wrapper is not None:
            self._wrapper.close()
            self._wrapper = None


def child_database_url(*, host: str | None = None, port: int | None = None) -> str:
    """The URL of the test database as the application's role, for a child process (a worker,
    a server); ``host`` and ``port`` point it elsewhere (a proxy in front of PostgreSQL)."""
    settings_dict = connections[DEFAULT_DB_ALIAS].settings_dict
    credentials = quote(settings_dict["USER"]) + (
        f":{quote(settings_dict['PASSWORD'])}" if settings_dict["PASSWORD"] else ""
    )
    return (
        f"postgres://{credentials}@{host or settings_dict['HOST'] or '127.0.0.1'}:"
        f"{port or settings_dict['PORT'] or 5432}/{quote(settings_dict['NAME'])}"
    )


def child_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` for a child process on the test database, as the application's role:
    the owner's URL names the database the tests were not made in, and a child never
    migrates."""
    child = {key: value for key, value in environment.items() if key != "DATABASE_MIGRATE_URL"}
    child["DATABASE_URL"] = child_database_url()
    return child
