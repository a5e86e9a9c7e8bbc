from typing import Any

from channels._asgi import ASGIApplication

def AllowedHostsOriginValidator(application: Any) -> ASGIApplication: ...
