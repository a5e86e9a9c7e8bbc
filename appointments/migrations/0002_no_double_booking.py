"""No double booking, enforced by the database itself.

PostgreSQL: two exclusion constraints over time ranges of active appointments: one per
practitioner (start to blocked_until, so the buffer after a visit stays free) and one per
patient (start to end). Concurrent inserts for the same time: exactly one commits.
SQLite (the embedded default): triggers that abort an overlapping insert or update; writes
are serialised (IMMEDIATE transactions), so the check and the write are atomic there too.
Both report the constraint's name, which the booking service turns into a 409.
"""

from django.db import migrations

ACTIVE = "('held', 'booked', 'checked_in', 'in_progress', 'completed')"

POSTGRES_FORWARD = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE appointments_appointment ADD CONSTRAINT appointments_practitioner_no_overlap
    EXCLUDE USING gist (practitioner_id WITH =, tstzrange("start", "blocked_until", '[)') WITH &&)
    WHERE (status IN {ACTIVE});
ALTER TABLE appointments_appointment ADD CONSTRAINT appointments_patient_no_overlap
    EXCLUDE USING gist (patient_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (status IN {ACTIVE});
"""
POSTGRES_REVERSE = """
ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS appointments_practitioner_no_overlap;
ALTER TABLE appointments_appointment DROP CONSTRAINT IF EXISTS appointments_patient_no_overlap;
"""


def _sqlite_trigger(event: str, exclude_self: str) -> str:
    # Built from constants of this module only.
    return f"""
CREATE TRIGGER appointments_no_overlap_{event.lower()} BEFORE {event} ON appointments_appointment
WHEN NEW.status IN {ACTIVE}
BEGIN
    SELECT RAISE(ABORT, 'appointments_practitioner_no_overlap') WHERE EXISTS (
        SELECT 1 FROM appointments_appointment AS other
        WHERE other.practitioner_id = NEW.practitioner_id {exclude_self}
          AND other.status IN {ACTIVE}
          AND other."start" < NEW.blocked_until AND NEW."start" < other.blocked_until
    );
    SELECT RAISE(ABORT, 'appointments_patient_no_overlap') WHERE EXISTS (
        SELECT 1 FROM appointments_appointment AS other
        WHERE other.patient_id = NEW.patient_id {exclude_self}
          AND other.status IN {ACTIVE}
          AND other."start" < NEW."end" AND NEW."start" < other."end"
    );
END;
"""


SQLITE_FORWARD = [
    _sqlite_trigger("INSERT", ""),
    _sqlite_trigger("UPDATE", "AND other.id != NEW.id"),
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS appointments_no_overlap_insert;",
    "DROP TRIGGER IF EXISTS appointments_no_overlap_update;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement, params=None)
    else:
        raise RuntimeError(f"No double-booking guard is written for {vendor}.")


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_REVERSE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("appointments", "0001_initial")]
    operations = [migrations.RunPython(forward, reverse)]
