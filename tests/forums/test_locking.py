"""Row locks taken for updates leave rows that merely point at the locked row free to be
inserted (PostgreSQL's FOR NO KEY UPDATE): the notification worker inserting a notification
about a post must not wait for a reaction that holds the post, which in turn waits for the
thread the worker holds (a deadlock the bench's seeding ran into)."""

import contextlib
import threading

import pytest
from django.db import connections, transaction
from django.utils import timezone

from forums import services
from forums.models import Post, Thread
from notifications.models import Notification
from tests.factories import make_member, make_post, make_thread, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@contextlib.contextmanager
def held_by_another_transaction(take_locks):
    """Runs take_locks in a transaction on another thread and keeps that transaction open
    (its locks held) while the with-block runs; meanwhile this thread's statements give up
    after two seconds of waiting for a lock instead of hanging."""
    holding, done = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                take_locks()
                holding.set()
                done.wait(10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(10)
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        yield
    finally:
        with connections["default"].cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
        done.set()
        holder.join(10)


def test_a_locked_post_and_thread_still_take_notifications_pointing_at_them():
    thread = make_thread()
    post = make_post(thread=thread)
    recipient = make_user()

    def reaction_side():
        services._locked(Post.objects, post.pk)
        services._locked(Thread.objects, thread.pk)

    with held_by_another_transaction(reaction_side):
        Notification.objects.create(recipient=recipient, kind="reply", thread=thread,
                                    post=post, source_key="lock-test",
                                    updated_at=timezone.now())
    assert Notification.objects.filter(source_key="lock-test").count() == 1


def test_a_running_reply_fan_out_does_not_hold_up_the_next_reply():
    from notifications import services as notification_services

    thread = make_thread()
    region = thread.forum.region
    first = make_post(thread=thread)
    watcher, next_author = make_member(region=region), make_member(region=region)

    def fan_out():
        notification_services.notify(kind="reply", recipient_ids=[watcher.pk],
                                     event_key="lock-test", actor=first.author,
                                     thread=thread, post=first)

    with held_by_another_transaction(fan_out):
        reply = services.create_post(actor=next_author, thread=thread, body="Intussen.")
    assert reply.position == first.position + 1


def test_the_same_form_sent_twice_at_once_creates_one_post_and_both_get_it():
    """The second submission waits for the thread lock the first holds, then its insert
    meets the first's idempotency key: its transaction is rolled back as a whole and it
    answers with the first one's post."""
    thread = make_thread()
    author = make_member(region=thread.forum.region)
    second_result = {}

    def second_submission():
        try:
            second_result["post"] = services.create_post(
                actor=author, thread=thread, body="Dubbel geklikt.", idempotency_key="twice")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            second_result["error"] = error
        finally:
            connections.close_all()

    with transaction.atomic():
        first = services.create_post(actor=author, thread=thread, body="Dubbel geklikt.",
                                     idempotency_key="twice")
        second = threading.Thread(target=second_submission)
        second.start()
        second.join(0.5)
        assert second.is_alive()  # waiting for the thread lock this transaction holds
    second.join(10)
    assert "error" not in second_result, second_result.get("error")
    assert second_result["post"].pk == first.pk
    assert Post.objects.filter(thread=thread, idempotency_key="twice").count() == 1
    thread.refresh_from_db()
    assert thread.post_count == 2
