"""An author takes back their own post while it waits for approval: from the thread page, via a
confirmation that works without JavaScript, a POST with CSRF. It leaves the review queue (whose
pages are told after commit), counts nowhere before or after, and a waiting thread goes with
its opening post. Anyone else's waiting post is not there for them (404)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from forums import services as forum_services
from forums.models import Forum, Post, Thread, ThreadSubscription
from live import broadcast
from moderation import approvals
from moderation.models import AuditEntry
from moderation.selectors import queue_count
from tests.factories import make_member

pytestmark = pytest.mark.usefixtures("guard_on")

BODY = "Graag advies over kwelwater bij de Zuidpolder."


@pytest.fixture
def newcomer(world):
    return make_member(region=world.region)


def _counters(thread):
    thread = Thread.objects.get(pk=thread.pk)
    forum = Forum.objects.get(pk=thread.forum_id)
    return (thread.post_count, thread.last_position, thread.last_post_id, thread.event_seq,
            forum.post_count, forum.thread_count, forum.last_post_id)


def _queue_page(client, world):
    client.force_login(world.moderator)
    return client.get(reverse("moderation:region_queue", args=[world.region.slug])) \
        .content.decode()


def test_the_author_withdraws_a_waiting_reply_from_the_thread_page(world, newcomer, client,
                                                                   broadcasts,
                                                                   django_capture_on_commit_callbacks):
    waiting = forum_services.create_post(actor=newcomer, thread=world.thread, body=BODY)
    before = _counters(world.thread)
    assert "kwelwater" in _queue_page(client, world)
    assert queue_count(viewer=world.moderator) == 1
    withdraw_url = reverse("moderation:withdraw", args=[waiting.pk])

    client.force_login(newcomer)
    page = client.get(world.thread.get_absolute_url()).content.decode()
    assert f'href="{withdraw_url}"' in page  # next to the waiting post, for its author
    confirm = client.get(withdraw_url)
    assert confirm.status_code == 200
    form = confirm.content.decode().split('<form method="post"')[1]
    assert 'name="csrfmiddlewaretoken"' in form and 'type="submit"' in form
    assert "kwelwater" in confirm.content.decode()  # what is being withdrawn
    assert Post.objects.filter(pk=waiting.pk).exists()  # asking changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url)
    assert response.status_code == 302 and response["Location"] == \
        world.thread.get_absolute_url()
    assert not Post.objects.filter(pk=waiting.pk).exists()
    assert _counters(world.thread) == before
    region = world.region.pk
    assert broadcasts == [
        (broadcast.moderation_group(region), {"type": "queue.changed", "region_id": region}),
        (broadcast.moderation_group(None), {"type": "queue.changed", "region_id": region}),
    ]
    # Not audited: an author's own action on what only they wrote (see approvals.withdraw_post).
    assert not AuditEntry.objects.filter(object_type="post", object_id=waiting.pk).exists()
    assert "kwelwater" not in _queue_page(client, world)
    assert queue_count(viewer=world.moderator) == 0
    client.force_login(newcomer)
    assert withdraw_url not in client.get(world.thread.get_absolute_url()).content.decode()


def test_withdrawing_a_waiting_opening_post_withdraws_its_thread(world, newcomer, client,
                                                                 broadcasts,
                                                                 django_capture_on_commit_callbacks):
    forum = world.thread.forum
    forum_before = Forum.objects.filter(pk=forum.pk).values().get()
    thread = forum_services.create_thread(actor=newcomer, forum=forum, title="Kwelwater vraag",
                                          body=BODY)
    opening = thread.posts.get()
    assert thread.is_pending and opening.is_pending
    client.force_login(newcomer)
    withdraw_url = reverse("moderation:withdraw", args=[opening.pk])
    assert f'href="{withdraw_url}"' in client.get(thread.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(withdraw_url)
    assert response.status_code == 302 and response["Location"] == forum.get_absolute_url()
    assert not Thread.objects.filter(pk=thread.pk).exists()
    assert not Post.objects.filter(pk=opening.pk).exists()
    assert not ThreadSubscription.objects.filter(thread_id=thread.pk).exists()
    assert Forum.objects.filter(pk=forum.pk).values().get() == forum_before
    assert [group for group, _event in broadcasts] == [
        broadcast.moderation_group(world.region.pk), broadcast.moderation_group(None)]
    assert "Kwelwater vraag" not in _queue_page(client, world)


@pytest.mark.parametrize("who", ["member", "moderator", "staff", "author"])
def test_someone_elses_waiting_post_is_not_there_to_withdraw(world, newcomer, who):
    waiting = forum_services.create_post(actor=newcomer, thread=world.thread, body=BODY)
    client = Client()
    client.force_login(getattr(world, who))
    url = reverse("moderation:withdraw", args=[waiting.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert Post.objects.get(pk=waiting.pk).is_pending
    with pytest.raises(PermissionDenied):
        approvals.withdraw_post(actor=getattr(world, who), post=waiting)
    assert Post.objects.get(pk=waiting.pk).is_pending


def test_a_published_post_is_not_withdrawn(world, client):
    client.force_login(world.author)
    url = reverse("moderation:withdraw", args=[world.post.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 302  # back to the post, told it is not waiting
    assert Post.objects.filter(pk=world.post.pk).exists()


def test_withdrawing_needs_the_csrf_token(world, newcomer):
    waiting = forum_services.create_post(actor=newcomer, thread=world.thread, body=BODY)
    client = Client(enforce_csrf_checks=True)
    client.force_login(newcomer)
    assert client.post(reverse("moderation:withdraw", args=[waiting.pk])).status_code == 403
    assert Post.objects.filter(pk=waiting.pk).exists()


def test_approved_a_moment_before_the_withdrawal_it_stays_and_the_author_is_told(
        world, newcomer, client):
    waiting = forum_services.create_post(actor=newcomer, thread=world.thread, body=BODY)
    client.force_login(newcomer)
    url = reverse("moderation:withdraw", args=[waiting.pk])
    assert client.get(url).status_code == 200  # the confirmation was open ...
    approvals.approve_post(actor=world.moderator, post=waiting)  # ... when a moderator approved
    with pytest.raises(ValidationError):
        forum_services.withdraw_post(actor=newcomer, post=waiting)
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(world.thread.get_absolute_url())
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    published = Post.objects.get(pk=waiting.pk)
    assert not published.is_pending and published.position == 3
