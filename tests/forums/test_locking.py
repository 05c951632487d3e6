"""Row locks taken for updates leave rows that merely point at the locked row free to be
inserted (PostgreSQL's FOR NO KEY UPDATE): the notification worker inserting a notification
about a post must not wait for a reaction that holds the post, which in turn waits for the
thread the worker holds (a deadlock the bench's seeding ran into)."""

import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from forums import services
from forums.models import Post, Thread
from notifications.models import Notification
from tests.factories import make_member, make_post, make_thread, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_locked_post_and_thread_still_take_notifications_pointing_at_them():
    thread = make_thread()
    post = make_post(thread=thread)
    recipient = make_user()
    locked, done = threading.Event(), threading.Event()
    errors = []

    def reaction_side():
        try:
            with transaction.atomic():
                services._locked(Post.objects, post.pk)
                services._locked(Thread.objects, thread.pk)
                locked.set()
                done.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=reaction_side)
    holder.start()
    try:
        assert locked.wait(10)
        with transaction.atomic():
            with connections["default"].cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            Notification.objects.create(recipient=recipient, kind="reply", thread=thread,
                                        post=post, source_key="lock-test",
                                        updated_at=timezone.now())
    except Exception as error:  # noqa: BLE001 - reported below, after the holder is released
        errors.append(error)
    finally:
        done.set()
        holder.join(10)
    assert errors == []
    assert Notification.objects.filter(source_key="lock-test").count() == 1


def test_a_running_reply_fan_out_does_not_hold_up_the_next_reply():
    from notifications import services as notification_services

    thread = make_thread()
    region = thread.forum.region
    first = make_post(thread=thread)
    watcher, next_author = make_member(region=region), make_member(region=region)
    counting, done = threading.Event(), threading.Event()

    def fan_out():
        try:
            with transaction.atomic():
                notification_services.notify(kind="reply", recipient_ids=[watcher.pk],
                                             event_key="lock-test", actor=first.author,
                                             thread=thread, post=first)
                counting.set()
                done.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=fan_out)
    worker.start()
    try:
        assert counting.wait(10)
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        reply = services.create_post(actor=next_author, thread=thread, body="Intussen.")
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        done.set()
        worker.join(10)
    assert reply.position == first.position + 1
