"""ASGI entry point for daphne: the WebSockets through Channels' router. In production nginx
sends daphne nothing else (gunicorn serves HTTP, community/wsgi.py); HTTP through Django's own
ASGI handler is there for `runserver` and the browser tests' server."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

# Set up the app registry first: the routing imports below need it.
http_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from community.routing import websocket_urlpatterns  # noqa: E402
from live import daphne_limits  # noqa: E402
from live.origin import SiteOriginValidator  # noqa: E402

daphne_limits.install()  # bad frames get close 1007/1009 rather than a dropped connection

application = ProtocolTypeRouter({
    "http": http_application,
    "websocket": SiteOriginValidator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    ),
})

# What is loaded by now lives as long as the process: move it out of the garbage collector's
# reach. Otherwise every full collection walks it all (about 80 ms here, stalling each request
# in flight on this process), which is much of a busy page's p99 (see bench/README.md).
gc.freeze()
