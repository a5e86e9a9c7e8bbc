"""The visit note and what to bring. Adding ``visit_note`` rebuilds appointments_appointment
on SQLite, which drops its double-booking triggers: they are put back here (as 0008 does;
tests/appointments/test_booking.py fails on SQLite without them)."""

from importlib import import_module

from django.db import migrations, models

# The trigger text is 0002's, so the two can never drift apart.
_overlap_guard = import_module("appointments.migrations.0002_no_double_booking")


def sqlite_triggers_back(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _overlap_guard.SQLITE_REVERSE + _overlap_guard.SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0014_night_shifts"),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="visit_note",
            field=models.TextField(blank=True, db_default="", default="", max_length=4000),
        ),
        migrations.AddField(
            model_name="appointmenttype",
            name="preparation",
            field=models.TextField(
                blank=True,
                db_default="",
                help_text="What to bring and how to prepare (patients see it before the visit). Empty: photo ID and a list of the medicines you take.",
                max_length=1000,
            ),
        ),
        migrations.RunPython(sqlite_triggers_back, migrations.RunPython.noop),
    ]
