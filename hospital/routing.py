"""WebSocket routes. Apps add their consumers here (e.g. notifications)."""

from django.urls import path

from hospital.consumers import HealthConsumer

websocket_urlpatterns = [
    path("ws/healthz/", HealthConsumer.as_asgi()),
]
