"""A reply sent to a thread while (or just after) it is merged into another: the reply lands
in the receiving thread, following the redirect the merge leaves, or the form comes back with
a clear message and the typed text; never a 500 or a lost reply."""

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client

from forums.models import Post, Thread, ThreadRedirect
from moderation import approvals, threads
from regions.models import Role
from tests.factories import make_forums, make_member, make_post, make_region, make_thread


def _world():
    region = make_region(name="Regio Midden")
    forum = make_forums(region)[2]
    moderator = make_member(region=region, role=Role.MODERATOR)
    replier = make_member(region=region)
    source = make_thread(forum=forum, title="Dubbel")
    make_post(thread=source, body="Eerste reactie.")
    target = make_thread(forum=forum, title="Het origineel")
    return moderator, replier, source, target


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_a_reply_to_a_thread_merged_a_moment_ago_lands_in_the_receiving_thread():
    moderator, replier, source, target = _world()
    client = _logged_in(replier)  # the page was loaded before the merge
    threads.merge_threads(actor=moderator, thread=source, into=target, reason="Dubbel")
    response = client.post(f"/onderwerp/{source.pk}/reageren/",
                           {"body": "Net op tijd, dacht ik."})
    post = Post.objects.get(body="Net op tijd, dacht ik.")
    assert post.thread_id == target.pk and post.position == Thread.objects.get(
        pk=target.pk).last_position
    assert response.status_code == 302
    assert response["Location"] == f"/onderwerp/{target.pk}/?page={post.page}#post-{post.pk}"
    shown = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any("Het origineel" in message for message in shown), shown


@pytest.mark.django_db
def test_a_reply_sent_by_the_live_page_to_a_merged_thread_is_sent_to_the_receiving_one():
    """The live page (static/js/live-thread.js) waits for its own reply's echo on this thread's
    socket; none comes from a thread merged away, so it is told where to go, as for a waiting
    post."""
    moderator, replier, source, target = _world()
    client = _logged_in(replier)
    threads.merge_threads(actor=moderator, thread=source, into=target, reason="Dubbel")
    response = client.post(f"/onderwerp/{source.pk}/reageren/", {"body": "Via de live pagina."},
                           headers={"X-Requested-With": "fetch"})
    post = Post.objects.get(body="Via de live pagina.")
    assert response.status_code == 202
    assert response.json() == {
        "location": f"/onderwerp/{target.pk}/?page={post.page}#post-{post.pk}"}


@pytest.mark.django_db
def test_a_refused_reply_to_a_merged_thread_keeps_the_typed_text():
    moderator, replier, source, target = _world()
    client = _logged_in(replier)
    threads.merge_threads(actor=moderator, thread=source, into=target, reason="Dubbel")
    long_text = "x" * 200_000  # too long: a form error, on the receiving thread's page
    response = client.post(f"/onderwerp/{source.pk}/reageren/", {"body": long_text})
    assert response.status_code == 400
    assert long_text in response.content.decode()
    assert response.context["thread"].pk == target.pk
    assert not Post.objects.filter(body=long_text).exists()


@pytest.mark.django_db
def test_a_reply_to_a_thread_that_is_gone_without_a_merge_is_a_404():
    _moderator, replier, source, _target = _world()
    client = _logged_in(replier)
    Thread.objects.filter(pk=source.pk).delete()
    response = client.post(f"/onderwerp/{source.pk}/reageren/", {"body": "Hallo?"})
    assert response.status_code == 404
    assert not ThreadRedirect.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reply_waiting_for_a_running_merge_lands_in_the_receiving_thread():
    """The merge holds both thread rows; the reply waits for the one it answers, finds it gone
    once the merge commits, and follows the redirect the merge left into the other thread."""
    moderator, replier, source, target = _world()
    client = _logged_in(replier)
    merging, finish = threading.Event(), threading.Event()
    outcome = {}

    def merge():
        try:
            with transaction.atomic():
                threads.merge_threads(actor=moderator, thread=Thread(pk=source.pk),
                                      into=Thread(pk=target.pk), reason="Dubbel")
                merging.set()
                finish.wait(10)
        finally:
            connections.close_all()

    def reply():
        try:
            outcome["response"] = client.post(f"/onderwerp/{source.pk}/reageren/",
                                              {"body": "Tegelijk met de samenvoeging."})
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["error"] = error
        finally:
            connections.close_all()

    merger = threading.Thread(target=merge)
    merger.start()
    assert merging.wait(10)
    replying = threading.Thread(target=reply)
    replying.start()
    replying.join(0.5)
    assert replying.is_alive()  # waiting for the thread row the merge holds
    finish.set()
    merger.join(10)
    replying.join(10)
    assert "error" not in outcome, outcome.get("error")
    response = outcome["response"]
    post = Post.objects.get(body="Tegelijk met de samenvoeging.")
    assert post.thread_id == target.pk
    assert response.status_code == 302
    assert response["Location"].startswith(f"/onderwerp/{target.pk}/")
    target.refresh_from_db()
    assert (target.post_count, target.last_position, post.position) == (4, 4, 4)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_merge_waiting_for_a_running_reply_takes_the_reply_along():
    moderator, replier, source, target = _world()
    from forums import services as forum_services

    started, finish = threading.Event(), threading.Event()

    def reply():
        try:
            with transaction.atomic():
                forum_services.create_post(actor=replier, thread=source, body="Eerder binnen.")
                started.set()
                finish.wait(10)
        finally:
            connections.close_all()

    replying = threading.Thread(target=reply)
    replying.start()
    assert started.wait(10)
    merged = {}

    def merge():
        try:
            merged["into"] = threads.merge_threads(
                actor=moderator, thread=Thread(pk=source.pk), into=Thread(pk=target.pk),
                reason="Dubbel")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            merged["error"] = error
        finally:
            connections.close_all()

    merger = threading.Thread(target=merge)
    merger.start()
    merger.join(0.5)
    assert merger.is_alive()  # waiting for the thread row the reply holds
    finish.set()
    replying.join(10)
    merger.join(10)
    assert "error" not in merged, merged.get("error")
    post = Post.objects.get(body="Eerder binnen.")
    assert post.thread_id == target.pk and post.position == 4
    assert not Thread.objects.filter(pk=source.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_merge_and_a_running_reply_fan_out_take_turns_instead_of_deadlocking():
    """A reply fan-out holds the thread's reply-collapse lock, locks the running reply
    notifications and then inserts rows that refer to the thread (a key-share lock on its row),
    in that order (notifications.services._collapse). A merge that locked the thread's row and
    then moved those notifications would wait for the fan-out while the fan-out waits for it.
    Here the fan-out's steps are taken one by one, with the merge arriving in between."""
    from notifications import services as notification_services
    from notifications.kinds import Kind
    from notifications.models import Notification

    moderator, replier, source, target = _world()
    from forums import services as forum_services

    forum_services.create_post(actor=replier, thread=source, body="Een reactie.")
    running = Notification.objects.filter(thread_id=source.pk, kind=Kind.REPLY,
                                          read_at__isnull=True)
    assert running.exists()
    locked, merge_started, outcome = threading.Event(), threading.Event(), {}

    def fan_out():
        try:
            with transaction.atomic():
                notification_services._hold_collapse_lock(Kind.REPLY, source.pk)
                list(running.select_for_update(no_key=True).values_list("pk", flat=True))
                locked.set()
                assert merge_started.wait(10)
                threading.Event().wait(0.5)  # the merge is now waiting for something
                row = running.first()
                Notification.objects.create(
                    recipient=moderator, thread_id=source.pk, region_id=row.region_id,
                    kind=Kind.REPLY, source_key="race:1", delivery=row.delivery,
                    actor=replier, post_id=row.post_id, updated_at=row.updated_at)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["fan_out"] = error
        finally:
            connections.close_all()

    def merge():
        try:
            merge_started.set()
            threads.merge_threads(actor=moderator, thread=Thread(pk=source.pk),
                                  into=Thread(pk=target.pk), reason="Dubbel")
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcome["merge"] = error
        finally:
            connections.close_all()

    fanning = threading.Thread(target=fan_out)
    fanning.start()
    assert locked.wait(10)
    merger = threading.Thread(target=merge)
    merger.start()
    fanning.join(15)
    merger.join(15)
    assert outcome == {}
    assert not Thread.objects.filter(pk=source.pk).exists()
    assert Notification.objects.filter(source_key="race:1", thread_id=target.pk).exists()


# --- Approval and withdrawal against a merge ----------------------------------------------------
# They lock the waiting post and then its thread (for its counters, its event sequence, or to
# remove it); a merge changes every post of the merged thread. Taken the other way round (the
# thread, then its posts) the two waited for each other. Each test pauses the post's writer
# right after its first row lock and lets the merge start then.

@contextlib.contextmanager
def _pause_after_first_row_lock(locked: threading.Event, proceed: threading.Event):
    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not locked.is_set() and "FOR UPDATE" in sql.replace("NO KEY ", ""):
            locked.set()
            assert proceed.wait(10)
        return result

    with connection.execute_wrapper(wrapper):
        yield


def _race_with_a_merge(moderator, source, target, write):
    """Runs `write` (paused after its first row lock) against a merge of `source` into
    `target`; returns what each raised (nothing: absent)."""
    locked, proceed, outcome = threading.Event(), threading.Event(), {}

    def writer():
        try:
            with _pause_after_first_row_lock(locked, proceed):
                outcome["written"] = write()
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            outcome["write"] = error
        finally:
            connections.close_all()

    def merge():
        try:
            threads.merge_threads(actor=moderator, thread=Thread(pk=source.pk),
                                  into=Thread(pk=target.pk), reason="Dubbel")
        except Exception as error:  # noqa: BLE001 - reported by the caller's assertions
            outcome["merge"] = error
        finally:
            connections.close_all()

    writing = threading.Thread(target=writer)
    writing.start()
    assert locked.wait(10)
    merger = threading.Thread(target=merge)
    merger.start()
    merger.join(0.5)  # the merge now waits for the post the writer holds
    proceed.set()
    writing.join(15)
    merger.join(15)
    return outcome


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_approval_and_a_merge_of_its_thread_take_turns_instead_of_deadlocking(settings):
    moderator, _replier, source, target = _world()
    settings.MODERATION_NEW_MEMBER_GUARD = True
    waiting = make_post(thread=source, author=make_member(region=source.forum.region),
                        body="Mijn eerste bericht.")
    assert Post.objects.get(pk=waiting.pk).is_pending
    outcome = _race_with_a_merge(
        moderator, source, target,
        lambda: approvals.approve_post(actor=moderator, post=Post(pk=waiting.pk)))
    assert set(outcome) == {"written"}, outcome
    post, target = Post.objects.get(pk=waiting.pk), Thread.objects.get(pk=target.pk)
    assert post.thread_id == target.pk and not post.is_pending
    assert (post.position, target.post_count, target.last_position) == (4, 4, 4)
    assert not Thread.objects.filter(pk=source.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_withdrawing_a_waiting_thread_while_it_is_merged_leaves_the_merge_nothing_to_do(
        settings):
    moderator, _replier, _source, target = _world()
    settings.MODERATION_NEW_MEMBER_GUARD = True
    newcomer = make_member(region=target.forum.region)
    waiting = make_thread(forum=target.forum, author=newcomer, title="Eerste vraag")
    assert waiting.is_pending
    opening = waiting.posts.get()
    outcome = _race_with_a_merge(
        moderator, waiting, target,
        lambda: approvals.withdraw_post(actor=newcomer, post=Post.objects.select_related(
            "thread__forum").get(pk=opening.pk)))
    assert outcome.get("written") is True, outcome  # the thread went with its post
    assert isinstance(outcome.get("merge"), ValidationError), outcome
    assert not Thread.objects.filter(pk=waiting.pk).exists()
    assert not Post.objects.filter(pk=opening.pk).exists()
    target.refresh_from_db()
    assert (target.post_count, target.last_position) == (1, 1)
    assert not ThreadRedirect.objects.exists()
