from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from accounts.auth_cache import read_along
        from notifications import live, subscribers  # noqa: F401 - registers the event handlers
        from notifications.services.unread import unread_cache_key_of

        # The bell's count rides along with the session's read on every signed-in page.
        read_along(unread_cache_key_of)
