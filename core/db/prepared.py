"""Cursors for the fixed-shape SQL that runs on every request of a hot path (the booking's
input and slot check, the clinician list's reach): prepared once per connection.

PostgreSQL spends more planning these multi-lookup statements than running them (the slot
check: ~0.33 of 0.47 ms; the booking's input: ~0.16 of 0.28 ms, pgbench on the bench data);
a prepared statement is planned on its first execution on a connection and then only run.
Django turns psycopg's prepared statements off unless ``OPTIONS["prepare_threshold"]`` is
set (for poolers that do not keep them): the settings set it unless
DATABASE_PREPARED_STATEMENTS=false, and only these cursors prepare (Django's own cursors bind
on the client, which never prepares). Elsewhere (SQLite, statements not prepared) this is
Django's own cursor.
"""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper


def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor (``with prepared_cursor() as cursor: cursor.execute(sql, params)``) whose
    statements are prepared on their first execution on the connection."""
    connection = connections[using]
    prepared = getattr(connection, "prepared_cursor", None)
    cursor: CursorWrapper = prepared() if prepared is not None else connection.cursor()
    return cursor
