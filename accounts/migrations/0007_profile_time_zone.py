from django.db import migrations, models

import core.local_time


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_sign_in_locks"),
    ]

    operations = [
        migrations.AddField(
            model_name="patientprofile",
            name="time_zone",
            field=models.CharField(
                blank=True,
                help_text="Times are also shown in this zone. Leave empty for the hospital's.",
                max_length=64,
                validators=[core.local_time.validate_time_zone],
                verbose_name="your time zone",
            ),
        ),
    ]
