"""The patients a list showed, in one audit row: ``bigint[]`` on PostgreSQL (searched through a
GIN index), JSON text on SQLite (the embedded database).

A schedule of fifty patients read by a receptionist is one row naming fifty patients, not
fifty rows: writing fifty rows cost a 50-row list 18% of its CPU time and 28% of its wall
time (docs/benchmarks.md). "Who viewed my record" reads both this column and ``patient``
(:meth:`audit.models.AuditEventQuerySet.concerning`).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Expression
from django.db.models.lookups import Lookup
from django.db.models.sql.compiler import SQLCompiler


class PatientIdsField(models.Field[list[int] | None, list[int] | None]):
    """A sorted list of user ids (no duplicates); NULL when the row names one patient in
    ``patient``, or none. Nullable without a default, so adding it to a large table changes
    no row (PostgreSQL and SQLite only record the column) and a row inserted without it is
    valid."""

    description = "A list of patients' user ids"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        for option in ("null", "blank"):
            if kwargs.get(option) is True:
                del kwargs[option]
        return name, path, args, kwargs

    def db_type(self, connection: BaseDatabaseWrapper) -> str:
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def get_internal_type(self) -> str:
        return "PatientIdsField"

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if value is None:
            return None
        ids = sorted({int(patient) for patient in value})
        if connection.vendor == "postgresql":
            return ids
        return json.dumps(ids, separators=(",", ":"))

    def from_db_value(
        self, value: Any, expression: Expression, connection: BaseDatabaseWrapper
    ) -> list[int] | None:
        if value is None:
            return None
        if isinstance(value, str):
            return [int(patient) for patient in json.loads(value)]
        return [int(patient) for patient in value]

    def to_python(self, value: Any) -> list[int] | None:
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = json.loads(value)
        return sorted({int(patient) for patient in value})


@PatientIdsField.register_lookup
class Names(Lookup[list[int]]):
    """``patients__names=user_id``: the row names this patient. On PostgreSQL ``@>`` (the GIN
    index answers it); on SQLite a scan of the JSON array."""

    lookup_name = "names"
    prepare_rhs = False

    def get_db_prep_lookup(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        return ("%s", [int(value)])

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        params = [*lhs_params, *rhs_params]
        if connection.vendor == "postgresql":
            return f"{lhs} @> ARRAY[{rhs}]::bigint[]", params
        sql = f"EXISTS (SELECT 1 FROM json_each({lhs}) WHERE json_each.value = {rhs})"  # noqa: S608 - compiled expressions
        return sql, params
