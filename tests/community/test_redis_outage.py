"""Redis is the doorbell, not the truth: with Redis unreachable, reading and posting work."""

import time

import pytest
from django.urls import reverse

from tests.factories import make_forums, make_member, make_region, make_thread

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {
        "BACKEND": "core.cache.ResilientRedisCache", "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0}}}
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": DEAD_REDIS, "socket_timeout": 1}]}}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # Django resets its caches on the change; Channels not
    yield
    channel_layers.backends.clear()


@pytest.mark.django_db(transaction=True)
def test_reading_and_posting_work_while_redis_is_down(client, redis_down, caplog):
    from django.core.cache import caches

    from core.cache import ResilientRedisCache

    assert isinstance(caches["default"], ResilientRedisCache)
    forums = make_forums(make_region())
    thread = make_thread(forum=forums[2])
    member = make_member(region=forums[2].region)
    client.force_login(member)
    started = time.monotonic()
    assert client.get("/").status_code == 200
    assert client.get(thread.get_absolute_url() + "?page=1").status_code == 200
    response = client.post(reverse("forums:reply", args=[thread.pk]),
                           {"body": "Geschreven zonder Redis", "idempotency_key": "r1"})
    assert response.status_code == 302
    assert thread.posts.filter(body="Geschreven zonder Redis").exists()
    # The event is in the table, so readers catch up once Redis is back.
    assert thread.events.filter(type="post.created").count() == 2
    assert time.monotonic() - started < 20
    assert "Redis unavailable" in caplog.text or "could not send" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_notifications_are_written_and_counted_while_redis_is_down(client, redis_down):
    from notifications.kinds import Kind
    from notifications.models import Notification

    forums = make_forums(make_region())
    thread = make_thread(forum=forums[0])
    writer = make_member(region=forums[0].region)
    client.force_login(writer)
    response = client.post(reverse("forums:reply", args=[thread.pk]),
                           {"body": f"@{thread.author.username} zonder Redis",
                            "idempotency_key": "n1"})
    assert response.status_code == 302
    # The row is the truth; the doorbell failed quietly. The bell reads the database.
    assert Notification.objects.filter(recipient=thread.author, kind=Kind.MENTION).exists()
    client.force_login(thread.author)
    assert 'data-unread-count aria-hidden="true">1<' in client.get("/").content.decode()
