"""A Redis cache that treats an unreachable Redis as an empty cache.

The database is the truth: sessions fall back to it (cached_db), rate limits and counters
fail open, presence and fragments are recomputed. A Redis outage must slow the site, never
take it down.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.utils.functional import cached_property
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)
_UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_last_warning = 0.0


def _warn(operation: str) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning > 30:  # one line per half minute, not one per request
        _last_warning = now
        logger.warning("cache: Redis unavailable during %s; continuing without it", operation)


# Django builds a cache object per request context under ASGI, and each would open its own
# connection pool (a new TCP connection per request); one client per process is shared instead.
_CLIENTS: dict[tuple, object] = {}


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis object for every cache call (its constructor
    fills a table of several hundred response callbacks: about a tenth of a logged-in page's
    CPU time). A redis.Redis is thread-safe and borrows a pooled connection per command, so
    one per pool serves every call."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    @cached_property
    def _cache(self):
        key = (tuple(self._servers), repr(sorted(self._options.items())))
        client = _CLIENTS.get(key)
        if client is None:
            client = _CLIENTS[key] = self._class(self._servers, **self._options)
        return client

    def _safe(self, operation: str, default, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except _UNAVAILABLE:
            _warn(operation)
            return default

    def get(self, key, default=None, version=None):
        return self._safe("get", default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._safe("get_many", {}, super().get_many, keys, version)

    def set(self, key, value, timeout=None, version=None):  # noqa: A003
        self._safe("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=None, version=None):
        return self._safe("set_many", list(data), super().set_many, data, timeout, version)

    def add(self, key, value, timeout=None, version=None):
        return self._safe("add", True, super().add, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._safe("touch", False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._safe("delete", False, super().delete, key, version)

    def delete_many(self, keys, version=None):
        self._safe("delete_many", None, super().delete_many, keys, version)

    def has_key(self, key, version=None):
        return self._safe("has_key", False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        return self._safe("incr", delta, super().incr, key, delta, version)

    def clear(self):
        self._safe("clear", None, super().clear)
