from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The platform primitives' app: the outbox table (``core.models``), its tasks and the
    management commands (``relay_outbox``, ``sms_outbox``)."""

    name = "core"
    verbose_name = "Platform primitives"
