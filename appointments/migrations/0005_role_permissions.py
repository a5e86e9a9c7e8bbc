"""Administrators manage schedules: grant the appointments permissions (appointments/roles.py)."""

from django.db import migrations

from accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("appointments", "0004_busy_index"),
        ("accounts", "0003_role_groups"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
