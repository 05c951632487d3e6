"""The Origin check of every socket handshake: the same answer as Django's CSRF origin check.

The socket is authenticated by the session cookie, which a browser sends whatever page opened
the socket: the Origin header is what tells this site's pages from another site's. An origin
is accepted when it is, scheme, host and port alike,
- this handshake's own: http:// (or https:// when the handshake came over TLS or, behind the
  proxy, with SECURE_PROXY_SSL_HEADER) followed by its Host header, a host in ALLOWED_HOSTS;
- an entry of CSRF_TRUSTED_ORIGINS (`https://*.example.nl` for its subdomains);
- SITE_URL's origin.
Everything else, a missing Origin too, is refused before the socket opens (HTTP 403).
"""

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import is_same_domain, split_domain_port, validate_host


class SiteOriginValidator:
    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if not origin:
        return False
    host = _header(scope, b"host")
    if host and validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS) \
            and origin == f"{'https' if _is_secure(scope) else 'http'}://{host}":
        return True
    if origin == _origin_of(settings.SITE_URL):
        return True
    trusted = settings.CSRF_TRUSTED_ORIGINS
    if origin in {entry for entry in trusted if "*" not in entry}:
        return True
    try:
        parsed = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parsed.netloc, pattern.netloc.lstrip("*"))
        for pattern in (urlsplit(entry) for entry in trusted if "*" in entry)
        if pattern.scheme == parsed.scheme
    )


def _header(scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return ""


def _is_secure(scope) -> bool:
    """As HttpRequest.is_secure(): the proxy's header where it is configured and present."""
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = _header(scope, header)
        if value:
            return value.split(",", 1)[0].strip() == secure_value
    return scope.get("scheme") in ("wss", "https")


def _origin_of(url: str) -> str:
    parsed = urlsplit(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.scheme and parsed.netloc else ""
