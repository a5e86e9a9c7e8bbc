"""Idempotency-Key records move from appointments to core, so every app's API can take a key.

The table is created here, the appointments rows (at most a day old) are copied over, and
appointments 0009 drops the old table: a retry sent during the deploy still finds its
first outcome.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_records(apps, schema_editor):
    old = apps.get_model("appointments", "IdempotencyRecord")
    new = apps.get_model("core", "IdempotencyRecord")
    new.objects.bulk_create(
        new(
            user_id=record.user_id,
            key=record.key,
            request_hash=record.request_hash,
            response_status=record.response_status,
            response_body=record.response_body,
            created_at=record.created_at,
        )
        for record in old.objects.iterator()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("appointments", "0008_sqlite_overlap_triggers_again"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="IdempotencyRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=128)),
                ("request_hash", models.CharField(max_length=64)),
                ("response_status", models.PositiveSmallIntegerField(null=True)),
                ("response_body", models.JSONField(null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "key"), name="core_idempotency_unique")
                ],
                "indexes": [models.Index(fields=["created_at"], name="core_idempotency_created")],
            },
        ),
        migrations.RunPython(copy_records, migrations.RunPython.noop),
    ]
