"""WebSocket routes. Apps add their consumers here (e.g. notifications)."""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult

from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.urls import path

from hospital.consumers import HealthConsumer
from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/healthz/", HealthConsumer.as_asgi()),
    # Browsers by session cookie, apps by a single-use ticket (notifications/consumers.py).
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]


class BrowserOriginValidator(OriginValidator):
    """Channels' AllowedHostsOriginValidator for browsers (an ``Origin`` header names one of
    ALLOWED_HOSTS or the socket is refused), letting connections without one through: apps
    send no Origin, and the consumers that take them require a ticket then (the
    notifications consumer does; the health probe reveals nothing).

    Channels' own validator refuses a missing Origin, so behind it apps cannot connect. Wrap
    the websocket stack in hospital/asgi.py with :func:`browser_origin_validator` instead to
    let them."""

    def valid_origin(self, parsed_origin: ParseResult | None) -> bool:
        return parsed_origin is None or super().valid_origin(parsed_origin)


def browser_origin_validator(application: Any) -> BrowserOriginValidator:
    allowed = AllowedHostsOriginValidator(application).allowed_origins
    return BrowserOriginValidator(application, allowed)
