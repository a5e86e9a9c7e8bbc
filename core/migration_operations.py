"""Migration operations shared by the apps."""

from __future__ import annotations

from typing import Any

from django.db import migrations, models


def redundant_index_dropped(
    app_label: str, model_name: str, field_name: str, field: models.Field[Any, Any]
) -> migrations.SeparateDatabaseAndState:
    """Drop a foreign key's own index where a composite index already starts with its column.

    Every index is paid for on each INSERT and UPDATE, and the composite serves the same
    lookups. The state gets ``db_index=False``; the database only loses the index. An
    ``AlterField`` would do the same on PostgreSQL, but on SQLite it rebuilds the table,
    dropping the triggers some tables carry (appointments' overlap guard, the audit trail's
    append-only guard).
    """

    def drop(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        for name, info in constraints.items():
            if (
                info["index"]
                and not info["unique"]
                and not info["primary_key"]
                and info["columns"] == [column]
                and info.get("type") in ("btree", "idx")
            ):
                schema_editor.execute(schema_editor._delete_index_sql(model, name))

    def create(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        schema_editor.execute(
            schema_editor._create_index_sql(model, fields=[model._meta.get_field(field_name)])
        )

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name, field_name, field)],
        database_operations=[migrations.RunPython(drop, create)],
    )


class AddIndexWithoutBlockingWrites(migrations.AddIndex):
    """``AddIndex`` that does not block writes on PostgreSQL while the index is built (CREATE
    INDEX CONCURRENTLY: the migration must say ``atomic = False``); a plain CREATE INDEX on
    other databases. For large tables in use."""

    atomic = False

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)
