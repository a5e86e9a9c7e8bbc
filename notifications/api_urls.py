"""The notifications API's URLs (/api/v1/...)."""

from django.urls import path

from notifications.apis import inbox, tickets

urlpatterns = [
    path("notifications", inbox.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/unread-count",
        inbox.UnreadCountApi.as_view(),
        name="notifications-unread-count",
    ),
    path("notifications/read-all", inbox.ReadAllApi.as_view(), name="notifications-read-all"),
    path(
        "notifications/<uuid:notification_id>/read",
        inbox.ReadApi.as_view(),
        name="notification-read",
    ),
    path(
        "notifications/preferences",
        inbox.PreferencesApi.as_view(),
        name="notification-preferences",
    ),
    path(
        "notifications/socket-ticket",
        tickets.SocketTicketApi.as_view(),
        name="notifications-socket-ticket",
    ),
]
