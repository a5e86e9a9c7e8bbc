"""Administrators see deliveries and write message templates; compliance officers see both
(notifications/roles.py)."""

from django.db import migrations

from accounts.roles import sync_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0003_role_groups"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
