"""ASGI entry point: HTTP through Django, WebSockets through Channels' router."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

import django  # noqa: E402

# Set up the app registry first: the handler and the routing imports below need it.
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from community.http import PooledHTTPHandler  # noqa: E402
from community.routing import websocket_urlpatterns  # noqa: E402
from live import daphne_limits  # noqa: E402
from live.origin import SiteOriginValidator  # noqa: E402

daphne_limits.install()  # bad frames get close 1007/1009 rather than a dropped connection

application = ProtocolTypeRouter({
    "http": PooledHTTPHandler(),
    "websocket": SiteOriginValidator(
        AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
    ),
})

# What is loaded by now lives as long as the process: move it out of the garbage collector's
# reach. Otherwise every full collection walks it all (about 80 ms here, stalling each request
# in flight on this process), which is much of a busy page's p99 (see bench/README.md).
gc.freeze()
