"""Put the SQLite double-booking triggers back.

SQLite cannot ALTER a column in place: Django rebuilds the table (create, copy, drop,
rename), and the rebuild drops the table's triggers. 0007 added ``revision`` that way, so
on the embedded database the guard from 0002 was gone. PostgreSQL keeps its exclusion
constraints through ALTER TABLE and needs nothing here. A later migration that rebuilds
``appointments_appointment`` on SQLite must do the same; the double-booking test on SQLite
(tests/appointments/test_booking.py) fails if it does not.
"""

from importlib import import_module

from django.db import migrations

# The trigger text is 0002's, so the two can never drift apart.
_overlap_guard = import_module("appointments.migrations.0002_no_double_booking")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _overlap_guard.SQLITE_REVERSE + _overlap_guard.SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0007_appointment_revision")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
