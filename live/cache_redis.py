"""The Redis client behind the site's cache, for live's own structures in Redis (socket counts in
live/sockets.py, presence in live/presence.py): one connection pool per process, the cache's.

This is the one place in live/ that reaches into a private attribute of Django's Redis cache
backend (`_cache`, its client wrapper): Django offers no public way to get the client. The Redis
tests of live/sockets.py and live/presence.py fail when that attribute changes.
"""

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


def cache_redis():
    """(redis client, the cache's make_key) when the default cache is Redis, else None."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(write=True), backend.make_key
