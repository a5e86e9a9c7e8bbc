"""Indexes of the appointments list (issue 10): its order, and an exact bound for "upcoming".

- ``appointments_start_idx`` (start): every list is a cursor page by (start, id). With it
  PostgreSQL walks the appointments in that order and stops after a page, whoever is asking,
  instead of collecting all the rows a person may see and sorting them (a clinician: ~7,000
  of 100,000; reception: all of them).
- ``appointments_length_idx`` ("end" - "start"), PostgreSQL only: the longest appointment is
  one index lookup, so ``when=upcoming`` (end >= now) also asks start >= now - the longest,
  an exact bound the walk starts from (otherwise it reads every past appointment first). Not
  in the model's state: on SQLite the same expression would be an index on a function only
  Django's connections define, which any other client writing the table would trip on.

Both built without blocking bookings on PostgreSQL (CREATE INDEX CONCURRENTLY, outside a
transaction).
"""

from django.db import migrations, models

from core.migration_operations import AddIndexWithoutBlockingWrites

LENGTH = "appointments_length_idx"


def length_index_created(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{LENGTH}" '
            'ON "appointments_appointment" (("end" - "start"))'
        )


def length_index_dropped(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{LENGTH}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("appointments", "0010_drop_redundant_indexes")]

    operations = [
        AddIndexWithoutBlockingWrites(
            model_name="appointment",
            index=models.Index(fields=["start"], name="appointments_start_idx"),
        ),
        migrations.RunPython(length_index_created, length_index_dropped, atomic=False),
    ]
