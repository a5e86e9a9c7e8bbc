"""Foreign keys whose column leads a composite index lose their own index (issue 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import redundant_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_profile_time_zone"),
    ]

    operations = [
        redundant_index_dropped(
            "accounts",
            "apitoken",
            "session",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="tokens",
                to="accounts.authsession",
            ),
        ),
        redundant_index_dropped(
            "accounts",
            "authsession",
            "user",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="auth_sessions",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        redundant_index_dropped(
            "accounts",
            "recoverycode",
            "device",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="codes",
                to="accounts.recoverycodedevice",
            ),
        ),
    ]
