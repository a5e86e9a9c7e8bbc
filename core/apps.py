from django.apps import AppConfig


class CoreConfig(AppConfig):
    """An app only for its management command (sms_outbox); it has no models."""

    name = "core"
    verbose_name = "Platform primitives"
