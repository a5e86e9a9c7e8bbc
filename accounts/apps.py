from typing import Any

from allauth.account.apps import AccountConfig as AllauthAccountConfig
from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.apps import DefaultConfig as OTPTOTPConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

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
    site_sync(kwargs.get("apps", apps))


def site_sync(app_registry: Any = apps) -> None:
    """The sites framework's row says what the settings say (HOSPITAL_SITE_DOMAIN and
    HOSPITAL_SITE_NAME): allauth builds its links from the row, our messages from the
    settings, and a row written once by an old migration sent verification links to
    127.0.0.1:8000 after the domain was configured."""
    from django.conf import settings

    site_model = app_registry.get_model("sites", "Site")
    site_model.objects.update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": settings.SITE_DOMAIN, "name": settings.SITE_NAME},
    )
    from django.contrib.sites.models import SITE_CACHE

    SITE_CACHE.clear()


class SignInEmailAddressesConfig(AllauthAccountConfig):
    """allauth's account app under a name of its own: the admin index showed two
    "Accounts" sections (ours and allauth's)."""

    verbose_name = _("Sign-in email addresses")


class AuthenticatorAppsConfig(OTPTOTPConfig):
    """django-otp's TOTP plugin, named for people ("OTP_TOTP" on the admin index)."""

    verbose_name = _("Authenticator apps")
