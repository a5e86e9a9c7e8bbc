"""Foreign keys whose column leads a composite index lose their own index (issue 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import redundant_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_idempotency_records"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        redundant_index_dropped(
            "core",
            "idempotencyrecord",
            "user",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
