"""The chain's tables are append-only like the events: on PostgreSQL the events' trigger
function refuses UPDATE and DELETE on the links and checkpoints too; on SQLite (development)
UPDATE is refused."""

from django.db import migrations

TABLES = ("audit_auditseal", "audit_auditcheckpoint")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION audit_event_refuse_change()",
                params=None,
            )
        elif vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'audit rows are append-only (UPDATE refused)'); END;",
                params=None,
            )


def reverse(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}", None)
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only", params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_tamper_evident_chain")]
    operations = [migrations.RunPython(forward, reverse)]
