from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The platform primitives' app: the outbox table (``core.models``), its tasks and the
    management commands (``relay_outbox``, ``sms_outbox``)."""

    name = "core"
    verbose_name = _("Platform primitives")

    def ready(self) -> None:
        from django.core.checks import Tags, register
        from django.db.models.signals import post_migrate

        from core.db.roles import check_application_role, grant_application_role

        register(check_application_role, Tags.database, deploy=True)
        # Once per migrate (sent for each app: this one's), after every migration ran.
        post_migrate.connect(grant_application_role, sender=self, dispatch_uid="core.grants")
