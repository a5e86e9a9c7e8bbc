"""A second line behind the application role's missing TRUNCATE privilege (core/db/roles.py):
on PostgreSQL, TRUNCATE on the audit tables is refused by a trigger too, whoever runs it, until
the owner switches the trigger off (which only the owner or a superuser can)."""

from django.db import migrations

TABLES = ("audit_auditevent", "audit_auditseal", "audit_auditcheckpoint")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_change()",
            params=None,
        )


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_refuse_truncate ON {table}", None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_chain_append_only")]
    operations = [migrations.RunPython(forward, reverse)]
