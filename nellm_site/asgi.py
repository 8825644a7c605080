"""ASGI entry point: HTTP through Django, WebSockets through Channels (served by daphne)."""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

from .db import asgi_requests_close_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nellm_site.settings")

# Django must be set up before the routing imports consumers and models.
django_asgi_app = get_asgi_application()
asgi_requests_close_connections()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from negotiation.routing import websocket_urlpatterns  # noqa: E402

from .proxy import TrustedProxyMiddleware  # noqa: E402

# The real client address first, so that everything after it (sessions, throttles) sees it.
application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        }
    )
)
