from typing import Any

from channels._asgi import Message, Receive, Scope, Send

class AsyncConsumer:
    scope: Scope
    channel_layer: Any
    channel_name: str
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None: ...
    async def send(self, message: Message) -> None: ...
    @classmethod
    # Any: Channels routes ASGI apps with django.urls.path, which django-stubs types for views.
    def as_asgi(cls, **initkwargs: Any) -> Any: ...
