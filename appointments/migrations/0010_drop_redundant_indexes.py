"""Foreign keys whose column leads a composite index lose their own index (issue 10)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.migration_operations import redundant_index_dropped


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_drop_redundant_indexes"),
        ("appointments", "0009_idempotency_records_moved_to_core"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        redundant_index_dropped(
            "appointments",
            "appointment",
            "patient",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        redundant_index_dropped(
            "appointments",
            "appointment",
            "practitioner",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointments",
                to="appointments.practitioner",
            ),
        ),
        redundant_index_dropped(
            "appointments",
            "appointmenttype",
            "department",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="appointment_types",
                to="accounts.department",
            ),
        ),
        redundant_index_dropped(
            "appointments",
            "availabilityexception",
            "practitioner",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="exceptions",
                to="appointments.practitioner",
            ),
        ),
    ]
