"""ASGI entry point: HTTP through Django, WebSockets through Channels' router."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Build the Django app first: it sets up the app registry the routing imports below need.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from community.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter({
    "http": django_asgi_app,
    "websocket": AllowedHostsOriginValidator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    ),
})
