"""community.checks: HTTP_THREADS threads per gunicorn worker fit its database pool."""

import pytest

from community.checks import http_threads_within_database_pool

# The check only reads the setting; no connection is made with the changed one.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


def _with_pool(settings, max_size):
    settings.DATABASES = {"default": {**settings.DATABASES["default"],
                                      "OPTIONS": {"pool": {"max_size": max_size}}}}


def test_as_many_pooled_connections_as_threads_is_enough(settings):
    settings.HTTP_THREADS = 8
    _with_pool(settings, 8)
    assert http_threads_within_database_pool(None) == []


def test_more_threads_than_pooled_connections_is_a_warning(settings):
    settings.HTTP_THREADS = 9
    _with_pool(settings, 8)
    [warning] = http_threads_within_database_pool(None)
    assert warning.id == "community.W001"
    assert "HTTP_THREADS (9) is above DB_POOL_MAX (8)" in warning.msg


def test_without_a_pool_there_is_nothing_to_check(settings):
    settings.HTTP_THREADS = 100
    settings.DATABASES = {"default": {**settings.DATABASES["default"], "OPTIONS": {}}}
    assert http_threads_within_database_pool(None) == []
