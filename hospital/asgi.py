"""ASGI entry point: WebSockets in production, HTTP and WebSockets together for `make run`.

Production: `uvicorn hospital.asgi:application` for the WebSocket process type,
`granian --interface wsgi hospital.wsgi:application` for HTTP (see README).
"""

import os
import warnings

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hospital.settings")

# WhiteNoise streams static files with a sync iterator; under ASGI (make run only;
# production serves HTTP over WSGI) Django warns on every file. The files are small.
warnings.filterwarnings(
    "ignore", message="StreamingHttpResponse must consume synchronous iterators"
)

# Django must be set up before anything imports models (consumers, auth middleware).
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from hospital.routing import browser_origin_validator, websocket_urlpatterns  # noqa: E402
from hospital.runtime import tune_garbage_collector  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # A browser's Origin must be one of ALLOWED_HOSTS; an app (no Origin) authenticates
        # with a single-use ticket instead of the session cookie (notifications.consumers).
        "websocket": browser_origin_validator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

tune_garbage_collector()
