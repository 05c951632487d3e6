"""The Redis behind the site's cache, for live's own structures in it (socket counts in
live/sockets.py, presence in live/presence.py): the cache's connection pool, through
core.cache.redis_client."""

from django.core.cache import caches

from core.cache import redis_client


def cache_redis():
    """(redis client, the cache's make_key) when the default cache is Redis, else None."""
    client = redis_client("default")
    return (client, caches["default"].make_key) if client is not None else None
