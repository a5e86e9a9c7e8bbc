"""Foreign keys whose column leads a composite index lose their own index (issue 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import redundant_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_trigger"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        redundant_index_dropped(
            "audit",
            "auditevent",
            "actor",
            models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="Who acted; empty for anonymous callers and the system.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        redundant_index_dropped(
            "audit",
            "auditevent",
            "patient",
            models.ForeignKey(
                blank=True,
                db_index=False,
                help_text="The patient whose data was concerned, if any.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
    ]
