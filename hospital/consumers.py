"""Project-level WebSocket consumers."""

from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class HealthConsumer(AsyncJsonWebsocketConsumer):
    """Liveness of the WebSocket process type: accepts, says ok, answers pings.

    Load balancers and operators use it to tell that the ASGI process routes
    WebSockets, which /healthz (served by the WSGI process) cannot show.
    """

    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"status": "ok"})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if content == {"type": "ping"}:
            await self.send_json({"type": "pong"})
        else:
            await self.send_json(
                {"type": "error", "detail": 'Only {"type": "ping"} is understood.'}
            )
