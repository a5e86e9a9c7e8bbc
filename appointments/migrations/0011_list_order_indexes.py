"""Indexes of the appointments list (issue 10): its order, and an exact bound for "upcoming".

- ``appointments_start_idx`` (start): every list is a cursor page by (start, id). With it
  PostgreSQL walks the appointments in that order and stops after a page, whoever is asking,
  instead of collecting all the rows a person may see and sorting them (a clinician: ~7,000
  of 100,000; reception: all of them).
- ``appointments_length_idx`` (end - start, PostgreSQL only): the longest appointment is one
  index lookup, so ``when=upcoming`` (end >= now) also asks start >= now - the longest, an
  exact bound the walk starts from (otherwise it reads every past appointment first).

Not in ``Appointment.Meta.indexes`` (the model is left as it is): the database has them,
Django's state does not need to.
"""

from django.db import migrations

START = "appointments_start_idx"
LENGTH = "appointments_length_idx"


def forward(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX "{START}" ON "appointments_appointment" ("start")')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX "{LENGTH}" ON "appointments_appointment" (("end" - "start"))'
        )


def reverse(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{LENGTH}"')
    schema_editor.execute(f'DROP INDEX IF EXISTS "{START}"')


class Migration(migrations.Migration):
    dependencies = [("appointments", "0010_drop_redundant_indexes")]

    operations = [migrations.RunPython(forward, reverse)]
