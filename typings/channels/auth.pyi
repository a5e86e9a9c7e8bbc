from typing import Any

from channels._asgi import ASGIApplication

def AuthMiddlewareStack(inner: Any) -> ASGIApplication: ...
