"""core.cache: one connection pool per server and options in a process, whichever cache object
or thread asks, taken through Django's documented `pool_class` option; live's own structures
get a client on that same pool (core.cache.redis_client)."""

import threading

import pytest
import redis
from django.conf import settings
from django.core.cache import caches

from core.cache import ResilientRedisCache, SharedConnectionPool, redis_client


def test_the_same_server_and_options_get_the_same_pool():
    first = SharedConnectionPool.from_url("redis://127.0.0.1:1/5", socket_timeout=1.0)
    assert SharedConnectionPool.from_url("redis://127.0.0.1:1/5", socket_timeout=1.0) is first
    assert SharedConnectionPool.from_url("redis://127.0.0.1:1/5", socket_timeout=2.0) is not first
    assert SharedConnectionPool.from_url("redis://127.0.0.1:1/6", socket_timeout=1.0) is not first


def test_the_cache_uses_the_shared_pool_in_every_thread():
    """Django builds a cache object per thread; their clients must draw from one pool. (If
    Django stops honouring `pool_class`, these pools are no longer ours and this fails.)"""
    params = {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}
    pools = []

    def client_pool():
        cache = ResilientRedisCache("redis://127.0.0.1:1/7", params)
        pools.append(cache._cache.get_client(write=True).connection_pool)

    threads = [threading.Thread(target=client_pool) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(pool) for pool in pools}) == 1
    assert isinstance(pools[0], SharedConnectionPool)


def test_a_pool_class_set_in_the_options_wins():
    cache = ResilientRedisCache("redis://127.0.0.1:1/7",
                                {"OPTIONS": {"pool_class": redis.BlockingConnectionPool}})
    pool = cache._cache.get_client(write=True).connection_pool
    assert type(pool) is redis.BlockingConnectionPool


def test_no_redis_client_without_a_redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert redis_client() is None


def test_live_s_client_draws_from_the_cache_s_pool(settings):
    """What Django's pool gets from the cache's settings, redis_client gives too: a change in
    how Django builds its pool shows here (live would then open a second pool)."""
    settings.CACHES = {"default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:1/8,redis://127.0.0.1:1/9",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    cache_pool = caches["default"]._cache.get_client(write=True).connection_pool
    assert redis_client().connection_pool is cache_pool


@pytest.mark.redis
def test_the_site_s_cache_and_live_s_client_share_one_pool_on_redis():
    cache = caches["default"]
    cache.set("core-cache-test", "ja", 30)
    assert cache.get("core-cache-test") == "ja"
    client = redis_client()
    assert client.get(cache.make_key("core-cache-test")) is not None
    assert client.connection_pool is cache._cache.get_client(write=True).connection_pool
    assert settings.CACHES["default"]["BACKEND"] == "core.cache.ResilientRedisCache"


@pytest.mark.redis
def test_a_value_set_without_a_timeout_expires_after_the_cache_default():
    """`cache.set(key, value)` means "the default timeout" (Django's DEFAULT_TIMEOUT), not
    "forever": a value the caller forgot to give a lifetime must not stay in Redis for good."""
    import uuid

    cache = ResilientRedisCache(settings.REDIS_URL, {"TIMEOUT": 120})
    key = f"test-cache-default-{uuid.uuid4().hex}"
    try:
        cache.set(key, 1)
        cache.add(f"{key}-added", 1)
        client = cache._cache.get_client(write=True)
        for name in (key, f"{key}-added"):
            assert 0 < client.ttl(cache.make_key(name)) <= 120
        cache.set(key, 1, None)
        assert client.ttl(cache.make_key(key)) == -1  # an explicit None still means forever
    finally:
        cache.delete_many([key, f"{key}-added"])
