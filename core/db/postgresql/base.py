"""Django's PostgreSQL backend, reading timestamptz columns with psycopg's C loader and
``json`` values (``row_to_json``: the booking's lookups) with orjson.

Django registers a Python loader for timestamptz on every connection (it parses the text
with a regular expression, then sets the zone): ~6 us a value, about a tenth of the CPU of a
page of 50 appointments. psycopg's C loader reads the same text in well under 1 us. Django
needs its own only to force a zone other than the session's; ours is always UTC (the
session's TimeZone is set to UTC on every connection, ``DATABASES[...]["TIME_ZONE"]`` is not
used), so the C loader's values are the same: aware datetimes in ``datetime.timezone.utc``
(tests/hospital/test_database_backend.py compares the two).

``json`` results (not ``jsonb``: Django reads JSONField columns as text and decodes them
itself) are parsed by psycopg with the standard library's ``json.loads``; orjson gives the
same values ~5 times faster (a booking reads its practitioner, type and patient as
``row_to_json`` rows: ~4% of its CPU).
"""

from __future__ import annotations

import datetime
from typing import Any

import orjson
from django.db.backends.postgresql import base
from psycopg.types.json import JsonBinaryLoader, JsonLoader

try:  # psycopg's C implementation (psycopg[binary]); without it, Django's loader as it is.
    from psycopg_binary._psycopg import (  # type: ignore[attr-defined]
        TimestamptzLoader as _CTimestamptzLoader,
    )
except ImportError:  # pragma: no cover - psycopg[binary] is in the lock file
    _CTimestamptzLoader = None


class _OrjsonLoader(JsonLoader):
    _loads = orjson.loads  # type: ignore[assignment]  # orjson.loads takes str or bytes


class _OrjsonBinaryLoader(JsonBinaryLoader):
    _loads = orjson.loads  # type: ignore[assignment]  # orjson.loads takes str or bytes


class DatabaseWrapper(base.DatabaseWrapper):
    def _reads_timestamptz_in_c(self) -> bool:
        # Named (server-side) cursors go through Django's own path, which asks the loader for
        # its zone: the C loader has none, so only where they are off (as our settings set).
        return (
            _CTimestamptzLoader is not None
            and self.timezone is datetime.UTC
            and bool(self.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"))
        )

    def get_connection_params(self) -> dict[str, Any]:
        params: dict[str, Any] = super().get_connection_params()
        # ``json`` only: psycopg's set_json_loads would take ``jsonb`` too, which Django
        # reads as text (its JSONField decodes the column itself).
        params["context"].register_loader("json", _OrjsonLoader)
        params["context"].register_loader("json", _OrjsonBinaryLoader)
        if self._reads_timestamptz_in_c():
            params["context"].register_loader("timestamptz", _CTimestamptzLoader)
        return params

    def create_cursor(self, name: str | None = None) -> Any:
        if name is None and self._reads_timestamptz_in_c():
            # Django's create_cursor would compare the loader's zone with ours (and register
            # its own on the cursor when they differ): with the C loader, there is no zone to
            # compare; the session's is UTC, as above.
            return self.connection.cursor()
        return super().create_cursor(name)
