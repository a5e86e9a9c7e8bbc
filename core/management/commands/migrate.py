"""Django's ``migrate``, connected as the owner role when DATABASE_MIGRATE_URL is set
(core/db/roles.py): the tables belong to the owner, and the application's role is granted
its privileges afterwards (post_migrate)."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS

from core.db.roles import connected_as_owner


class Command(migrate.Command):
    def execute(self, *args: Any, **options: Any) -> str | None:
        # Before the checks, which may connect too.
        with connected_as_owner(options.get("database") or DEFAULT_DB_ALIAS):
            result: str | None = super().execute(*args, **options)
            return result
