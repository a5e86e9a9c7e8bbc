"""The six roles as groups with their permissions (declared in accounts/roles.py), and the
site's name and domain for allauth's emails."""

from django.conf import settings
from django.db import migrations

from accounts.roles import sync_role_groups


def name_the_site(apps, schema_editor):
    site_model = apps.get_model("sites", "Site")
    site_model.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_directory_profiles_mfa_sessions"),
        ("audit", "0002_append_only_trigger"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sites", "0002_alter_domain_unique"),
    ]
    operations = [
        migrations.RunPython(sync_role_groups, migrations.RunPython.noop),
        migrations.RunPython(name_the_site, migrations.RunPython.noop),
    ]
