from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The platform primitives' app: the outbox table (``core.models``), its tasks and the
    management commands (``relay_outbox``, ``sms_outbox``)."""

    name = "core"
    verbose_name = _("Platform primitives")
