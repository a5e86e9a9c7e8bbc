"""The Idempotency-Key records now live in core (core 0002 copied the rows)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0008_sqlite_overlap_triggers_again"),
        ("core", "0002_idempotency_records"),
    ]

    operations = [migrations.DeleteModel(name="IdempotencyRecord")]
