"""WSGI entry point: the site's pages, forms and static files, served by gunicorn's threads
(docs/deploy.md); the WebSockets stay on daphne (community/asgi.py)."""

import gc
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from live import broadcast  # noqa: E402


def client_address_from_proxy(app):
    """REMOTE_ADDR from the first address in X-Forwarded-For, as daphne's --proxy-headers does:
    behind nginx, which overwrites that header with the address it saw (docs/nginx), the
    client is that address, not nginx. Only for a gunicorn that nothing but nginx can reach."""

    def with_client_address(environ, start_response):
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            environ["REMOTE_ADDR"] = forwarded.split(",", 1)[0].strip()
        return app(environ, start_response)

    return with_client_address


application = get_wsgi_application()
if os.environ.get("PROXY_HEADERS") == "1":
    application = client_address_from_proxy(application)

# A reply's announcement goes out from this process's loop thread: the response does not wait
# for the channel layer.
broadcast.send_from_loop_thread()

# What is loaded by now lives as long as the process: out of the garbage collector's reach,
# so that a full collection does not stall the requests in flight (bench/README.md).
gc.freeze()
