"""A Redis cache that treats an unreachable Redis as an empty cache.

The database is the truth: sessions fall back to it (cached_db), rate limits and counters
fail open, presence and fragments are recomputed. A Redis outage must slow the site, never
take it down.
"""

import logging
import re
import threading
import time
from typing import ClassVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.utils.module_loading import import_string
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


class SharedConnectionPool(redis.ConnectionPool):
    """One connection pool per server and options in a process, however many cache objects use
    it: Django builds a cache object per thread (WSGI) and per context (the WebSocket side's
    database threads under ASGI), and each would otherwise open a pool of its own, and a new TCP
    connection with it. Django's RedisCache takes it through its documented `pool_class` option;
    redis-py's pool itself is thread-safe and starts afresh in a forked child."""

    _shared: ClassVar[dict[tuple, "SharedConnectionPool"]] = {}
    _lock = threading.Lock()

    @classmethod
    def from_url(cls, url: str, **kwargs) -> "SharedConnectionPool":
        key = (url, repr(sorted(kwargs.items())))
        with cls._lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls._shared[key] = super().from_url(url, **kwargs)
        return pool


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = {"pool_class": SharedConnectionPool, **params.get("OPTIONS", {})}
        super().__init__(server, {**params, "OPTIONS": options})

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

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):  # noqa: A003
        self._safe("set", None, super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safe("set_many", list(data), super().set_many, data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safe("add", True, super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
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


def redis_client(alias: str = "default") -> redis.Redis | None:
    """A Redis client on the connection pool of cache `alias` (its first server, where Django
    writes), for structures of our own next to the cache (live's socket counts and presence);
    None when that cache is not Redis. Built from the cache's settings as Django builds its
    pool, so both share it (tests/core/test_cache.py checks that they do)."""
    if not isinstance(caches[alias], RedisCache):
        return None
    config = settings.CACHES[alias]
    location = config["LOCATION"]
    server = re.split("[;,]", location)[0] if isinstance(location, str) else location[0]
    options = dict(config.get("OPTIONS", {}))
    for name in ("serializer", "pool_class"):
        options.pop(name, None)
    parser_class = options.pop("parser_class", None) or redis.connection.DefaultParser
    if isinstance(parser_class, str):
        parser_class = import_string(parser_class)
    pool = SharedConnectionPool.from_url(server, parser_class=parser_class, **options)
    return redis.Redis(connection_pool=pool)
