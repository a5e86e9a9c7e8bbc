"""A new row written as ``Model.save()`` writes it, without building the query each time.

``Model.objects.create()`` builds an insert query, compiles it and prepares each value through
the generic compiler on every call: ~0.3 ms of CPU for an audit row or an appointment, as
much as the round trip itself. The hot writes (the booking's appointment, every audit row)
go through ``insert_new`` instead: the statement is built once per model and database, and
each call does what ``save()`` does for a new row of a model without parents: related objects
checked, ``pre_save``/``post_save`` sent, each field's ``pre_save`` (``auto_now_add``,
defaults) and ``get_db_prep_save`` applied, the primary key read back, a failed insert marking
the enclosing transaction for rollback. Models this does not cover (parents, generated
columns, database defaults without a Python default, custom placeholders) are saved by
``save()``. A model's own
``save()`` is not called: use this only for models whose ``save()`` adds nothing to a new row
(AuditEvent's refuses updates only; Appointment has none).
tests/core/test_insert_new.py compares the rows and signals with ``save()``'s.
"""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from django.db import connections, models, router, transaction
from django.db.models import NOT_PROVIDED
from django.db.models.signals import post_save, pre_save

_Model = TypeVar("_Model", bound=models.Model)


class _Statement(NamedTuple):
    sql: str
    fields: tuple[models.Field[Any, Any], ...]
    returns_pk: bool  # RETURNING the key, else the driver's last id


# (model, database alias) -> the statement, or None where ``save()`` must do it.
_statements: dict[tuple[type[models.Model], str], _Statement | None] = {}


def _written_with_its_python_default(field: models.Field[Any, Any]) -> bool:
    return field.db_default is not NOT_PROVIDED and field.has_default()


def _statement_for(model: type[models.Model], using: str) -> _Statement | None:
    meta = model._meta
    connection = connections[using]
    pk = meta.pk
    if meta.parents or pk is None or meta.auto_field is not pk:
        return None
    # A database default beside a Python default (a column added with a default for the code
    # still running during a deploy) is written like any column: the instance has its value,
    # nothing needs reading back. One without a Python default is left to save().
    if any(
        field is not pk and not _written_with_its_python_default(field)
        for field in meta.db_returning_fields
    ):
        return None
    fields = tuple(field for field in meta.local_concrete_fields if field is not pk)
    for field in fields:
        if (
            getattr(field, "generated", False)
            or (field.db_default is not NOT_PROVIDED and not field.has_default())
            or hasattr(field, "get_placeholder")
        ):
            return None
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 - names from the model, quoted
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    returns_pk = connection.features.can_return_columns_from_insert
    if returns_pk:
        returning, _ = connection.ops.return_insert_columns([pk])
        sql = f"{sql} {returning}"
    return _Statement(sql, fields, returns_pk)


def insert_new(instance: _Model, *, using: str | None = None) -> _Model:
    """Insert this new instance (``instance.save()`` for a new row, with its signals);
    returns it, saved, with its primary key."""
    model = type(instance)
    using = using or router.db_for_write(model, instance=instance)
    key = (model, using)
    if key not in _statements:
        _statements[key] = _statement_for(model, using)
    statement = _statements[key]
    if statement is None or not instance._state.adding or instance.pk is not None:
        instance.save(force_insert=True, using=using)
        return instance
    # Related objects assigned before they were saved are refused, as save() refuses them.
    instance._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
    pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    connection = connections[using]
    values = [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in statement.fields
    ]
    # As save(): an error inside a transaction leaves it to be rolled back.
    with transaction.mark_for_rollback_on_error(using), connection.cursor() as cursor:
        cursor.execute(statement.sql, values)
        if statement.returns_pk:
            row = cursor.fetchone()
            pk_value = row[0]
        else:  # pragma: no cover - both our databases return the key
            meta = model._meta
            pk_value = connection.ops.last_insert_id(cursor, meta.db_table, meta.pk.column)
    # An integer key (an auto field, checked when the statement was built): no converter.
    instance.pk = pk_value
    instance._state.adding = False
    instance._state.db = using
    post_save.send(
        sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using
    )
    return instance
