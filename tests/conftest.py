import contextlib
import io
import logging
import os
import shutil

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import make_forums, make_region, make_user

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


def page_queries(client, url: str, *, first_visit: bool = False) -> int:
    """How many queries one visit of the page makes (it must answer 200). `first_visit` empties
    the cache first, so the visit is counted and cached fragments are rendered afresh."""
    if first_visit:
        cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.fixture
def after_commit(django_capture_on_commit_callbacks):
    """Run what follows the commit (broadcasts, signals → tasks → notifications → mail), as in
    production: `with after_commit(): ...`."""
    def run():
        return django_capture_on_commit_callbacks(execute=True)
    return run


@pytest.fixture
def broadcasts(monkeypatch):
    """(group, event) pairs sent to the channel layer, in order."""
    from live import broadcast

    sent = []
    monkeypatch.setattr(broadcast, "send_now", lambda group, event: sent.append((group, event)))
    return sent


@pytest.fixture
def region():
    return make_region()


@pytest.fixture
def forums(region):
    """The region's standard forums: (algemeen: members only, verslagen, vragen: public)."""
    return make_forums(region)


@pytest.fixture
def forum(forums):
    """The region's public questions forum (vragen)."""
    return forums[2]


@pytest.fixture
def staff_client(client):
    """Logged in as staff with a second factor, as the admin requires."""
    client.force_login(make_user(staff=True, mfa=True))
    return client
