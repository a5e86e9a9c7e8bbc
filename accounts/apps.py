from typing import Any

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        post_migrate.connect(_sync_role_groups, dispatch_uid="accounts.sync_role_groups")
        # The authentication cache's invalidation (user, device and session saves) must be
        # connected in every process, not only in those that happen to import it.
        from accounts import auth_cache  # noqa: F401


def _sync_role_groups(sender: AppConfig, **kwargs: Any) -> None:
    """After every migrate (and test-database flush), the role groups hold exactly the
    permissions the apps declare. post_migrate is sent once per app: act on the last one,
    when every app's permissions exist (Django's own post_migrate handler made them)."""
    if sender.label != list(apps.get_app_configs())[-1].label:
        return
    from accounts.roles import role_groups_sync

    role_groups_sync(kwargs.get("apps", apps))
