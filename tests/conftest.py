import contextlib
import io
import logging
import os
import shutil

import pytest
from django.core.cache import cache

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _service_missing(marker: str) -> str | None:
    """Why a service a test is marked for is absent, or None when it is there."""
    from django.conf import settings

    if marker == "postgres":
        if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            return "needs PostgreSQL: set DATABASE_URL"
    elif marker == "redis":
        if not settings.REDIS_URL:
            return "needs Redis: set REDIS_URL"
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            return f"Redis at REDIS_URL does not answer: {error}"
    elif marker == "browser" and not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        return f"needs Chromium at {CHROMIUM} (Debian package chromium)"
    return None


def pytest_runtest_setup(item):
    for marker in ("postgres", "redis", "browser"):
        if item.get_closest_marker(marker):
            reason = _service_missing(marker)
            if reason:
                if REQUIRE_SERVICES:
                    pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
                pytest.skip(reason)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached sessions must not leak from one test into the next."""
    from live import presence

    cache.clear()
    presence._store = None  # the in-memory presence store lives as long as the process
    yield
    cache.clear()
    presence._store = None


@contextlib.contextmanager
def site_log(logger_name: str):
    """What the site's own handler for this logger (settings.LOGGING: a filtered stream
    handler of its own) writes while the block runs."""
    handlers = [handler for handler in logging.getLogger(logger_name).handlers
                if isinstance(handler, logging.StreamHandler) and handler.filters]
    assert handlers, f"settings.LOGGING gives {logger_name} a filtered handler of its own"
    stream = io.StringIO()
    previous = [handler.setStream(stream) for handler in handlers]
    try:
        yield stream
    finally:
        for handler, old in zip(handlers, previous, strict=True):
            handler.setStream(old)
