"""Appointments count their changes of time and status (the calendar's SEQUENCE); calendar
feeds get a title mode (neutral "Hospital appointment" for third-party calendars) and are
revoked instead of deleted, so a revoked URL answers 410 Gone (one live feed per user)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0006_schedule_entry_public_ids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="appointment",
            name="revision",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="calendarfeed",
            name="title_mode",
            field=models.CharField(
                choices=[
                    ("detailed", "What and with whom (e.g. Consultation with Dr Weber)"),
                    (
                        "neutral",
                        "Only “Hospital appointment” (for calendars kept by other companies)",
                    ),
                ],
                default="detailed",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="calendarfeed",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="calendar_feeds",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="calendarfeed",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("user",),
                name="appointments_one_live_feed_per_user",
            ),
        ),
    ]
