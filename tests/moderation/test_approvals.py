"""The new-member guard: a new member's first posts in a region wait for approval, unseen, unsent
and uncounted; approving publishes them as a new post is published, declining keeps them out."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from forums import search
from forums import selectors as forum_selectors
from forums import services as forum_services
from forums.models import Forum, Post, Thread, ThreadEvent
from forums.signals import post_created
from live import broadcast
from moderation import approvals, region_settings
from moderation.models import AuditEntry, Vouch
from moderation.selectors import queue_count
from notifications.kinds import Kind
from notifications.models import Notification
from regions.models import Role
from tests.factories import make_member, make_user

pytestmark = pytest.mark.usefixtures("guard_on")

BODY = "Graag advies over kwelwater bij de Zuidpolder."


@pytest.fixture
def created_signals():
    received = []

    def receiver(sender, post, created_thread, **kwargs):
        received.append((post.pk, created_thread))

    post_created.connect(receiver, weak=False, dispatch_uid="test-post-created")
    yield received
    post_created.disconnect(dispatch_uid="test-post-created")


def _thread_groups(sent, thread):
    return [event for group, event in sent if group == broadcast.thread_group(thread.pk)]


def _counters(thread):
    thread.refresh_from_db()
    forum = Forum.objects.get(pk=thread.forum_id)
    return (thread.post_count, thread.last_position, thread.last_post_id, thread.event_seq,
            forum.post_count, forum.thread_count, forum.last_post_id)


def _reply(world, author, body=BODY):
    return forum_services.create_post(actor=author, thread=world.thread, body=body)


# --- Holding ---------------------------------------------------------------------------------

def test_a_new_members_first_reply_waits_unseen_unsent_and_uncounted(
        world, broadcasts, created_signals, django_capture_on_commit_callbacks):
    newcomer = make_member(region=world.region)
    before = _counters(world.thread)
    with django_capture_on_commit_callbacks(execute=True):
        post = _reply(world, newcomer)
    assert post.is_pending and post.position is None
    assert _counters(world.thread) == before
    assert not ThreadEvent.objects.filter(thread=world.thread, payload__post_id=post.pk).exists()
    assert _thread_groups(broadcasts, world.thread) == []
    assert created_signals == []
    # The thread's author watches it, yet hears nothing of a post nobody may see yet.
    assert not Notification.objects.filter(post=post).exists()
    # The review queue rings.
    assert (broadcast.moderation_group(world.region.pk),
            {"type": "queue.changed", "region_id": world.region.pk}) in broadcasts
    assert search.search(viewer=world.member, query="kwelwater").total == 0
    assert search.search(viewer=newcomer, query="kwelwater").total == 0
    with pytest.raises(Http404):
        forum_selectors.get_post(viewer=world.member, post_id=post.pk)
    assert forum_selectors.get_post(viewer=newcomer, post_id=post.pk) == post
    assert queue_count(viewer=world.moderator) == 1
    assert queue_count(viewer=world.other_moderator) == 0


def test_the_author_sees_their_waiting_reply_with_a_notice_and_others_do_not(world, client):
    newcomer = make_member(region=world.region)
    client.force_login(newcomer)
    response = client.post(reverse("forums:reply", args=[world.thread.pk]), {"body": BODY},
                           follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "kwelwater" in page and "Wacht op goedkeuring van een moderator." in page
    assert "je eerste berichten in deze regio op goedkeuring van een moderator" in page
    assert Post.objects.get(author=newcomer).is_pending
    client.force_login(world.member)
    page = client.get(world.thread.get_absolute_url()).content.decode()
    assert "kwelwater" not in page
    client.logout()
    assert "kwelwater" not in client.get(world.thread.get_absolute_url()).content.decode()


def test_a_new_members_first_thread_waits_and_is_missing_for_everyone_else(world, client):
    newcomer = make_member(region=world.region)
    forum = world.thread.forum
    threads_before = Forum.objects.get(pk=forum.pk).thread_count
    thread = forum_services.create_thread(actor=newcomer, forum=forum, title="Kwelwater vraag",
                                          body=BODY)
    assert thread.is_pending and thread.posts.get().is_pending
    assert Forum.objects.get(pk=forum.pk).thread_count == threads_before
    url = thread.get_absolute_url()
    for who in (world.member, world.outsider, world.other_moderator, world.author):
        assert thread not in forum_selectors.list_threads(viewer=who, forum=forum)
        assert thread not in forum_selectors.list_latest_threads(viewer=who)
        with pytest.raises(Http404):
            forum_selectors.get_thread(viewer=who, thread_id=thread.pk)
        client.force_login(who)
        assert client.get(url).status_code == 404
        assert client.post(reverse("forums:reply", args=[thread.pk]),
                           {"body": "Hallo"}).status_code == 404
        assert search.search(viewer=who, query="kwelwater").total == 0
    client.logout()
    assert client.get(url).status_code == 404
    assert "Kwelwater vraag" not in client.get(forum.get_absolute_url()).content.decode()
    # Its author and the region's moderators see it.
    for who in (newcomer, world.moderator, world.staff):
        assert thread in forum_selectors.list_threads(viewer=who, forum=forum)
        client.force_login(who)
        page = client.get(url).content.decode()
        assert "Dit onderwerp wacht op goedkeuring van een moderator." in page
    client.force_login(newcomer)
    page = client.get(url).content.decode()
    assert "kwelwater" in page


def test_creating_a_waiting_thread_in_a_view_tells_the_author(world, client):
    newcomer = make_member(region=world.region)
    client.force_login(newcomer)
    forum = world.thread.forum
    response = client.post(reverse("forums:new_thread", args=[forum.pk]),
                           {"title": "Vraag over kwel", "body": BODY, "kind": "discussion"},
                           follow=True)
    assert response.status_code == 200
    thread = Thread.objects.get(title="Vraag over kwel")
    assert thread.is_pending
    page = response.content.decode()
    assert "je eerste berichten in deze regio op goedkeuring van een moderator" in page
    assert "Dit onderwerp wacht op goedkeuring van een moderator." in page


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.REPORTER])
def test_moderators_and_reporters_are_never_held(world, role):
    person = make_member(region=world.region, role=role)
    assert not _reply(world, person).is_pending


def test_staff_are_never_held(world):
    assert not _reply(world, make_user(staff=True, mfa=True)).is_pending


def test_a_vouched_member_is_not_held_and_the_vouch_is_audited(world):
    newcomer = make_member(region=world.region)
    approvals.vouch(actor=world.moderator, user=newcomer, region=world.region)
    assert AuditEntry.objects.filter(action="user.vouched", object_id=newcomer.pk,
                                     actor=world.moderator).exists()
    assert not _reply(world, newcomer).is_pending
    # Only in the region vouched for.
    assert not approvals.must_wait(newcomer, world.thread.forum)
    outsider_forum = Forum.objects.filter(region=world.other_region).first()
    make_member(region=world.other_region, user=newcomer)
    assert approvals.must_wait(newcomer, outsider_forum)


def test_the_region_setting_decides_how_many_posts_wait(world):
    newcomer = make_member(region=world.region)
    region_settings.update_settings(actor=world.moderator, region=world.region, flag_threshold=3,
                                    approval_posts=0)
    assert not _reply(world, newcomer).is_pending
    region_settings.update_settings(actor=world.moderator, region=world.region, flag_threshold=3,
                                    approval_posts=2)
    other = make_member(region=world.region)
    first, second = _reply(world, other), _reply(world, other, "Nog een vraag")
    assert first.is_pending and second.is_pending
    approvals.approve_post(actor=world.moderator, post=first)
    assert _reply(world, other, "Derde").is_pending  # one published, two needed
    approvals.approve_post(actor=world.moderator, post=second)
    assert not _reply(world, other, "Vierde").is_pending


def test_a_member_past_the_guard_costs_no_query_until_the_region_asks_for_more(
        world, django_assert_num_queries):
    member = make_member(region=world.region)
    approvals.approve_post(actor=world.moderator, post=_reply(world, member))
    forum = world.thread.forum
    assert not approvals.must_wait(member, forum)  # counts once, then remembers
    with django_assert_num_queries(0):
        assert not approvals.must_wait(member, forum)
    region_settings.update_settings(actor=world.moderator, region=world.region, flag_threshold=3,
                                    approval_posts=2)
    assert approvals.must_wait(member, forum)


def test_a_settings_row_changed_outside_the_service_is_seen_at_once(world):
    from moderation.models import RegionModerationSettings

    newcomer = make_member(region=world.region)
    assert region_settings.settings_for(world.region).approval_posts == 1  # now cached
    RegionModerationSettings.objects.update_or_create(
        region=world.region, defaults={"approval_posts": 0, "flag_threshold": 5})
    assert region_settings.settings_for(world.region).flag_threshold == 5
    assert not _reply(world, newcomer).is_pending
    RegionModerationSettings.objects.filter(region=world.region).get().delete()
    assert region_settings.settings_for(world.region).flag_threshold == 3


def test_once_approved_the_next_post_is_published_at_once(world):
    newcomer = make_member(region=world.region)
    approvals.approve_post(actor=world.moderator, post=_reply(world, newcomer))
    assert not _reply(world, newcomer, "Tweede bericht").is_pending


# --- Approving -------------------------------------------------------------------------------

def test_approving_a_reply_publishes_it_as_a_new_post_is_published(
        world, broadcasts, created_signals, django_capture_on_commit_callbacks):
    newcomer = make_member(region=world.region)
    post = _reply(world, newcomer)
    thread_before = _counters(world.thread)
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve_post(actor=world.moderator, post=post, reason="Welkom!")
    # Open review queues refresh.
    assert (broadcast.moderation_group(world.region.pk),
            {"type": "queue.changed", "region_id": world.region.pk}) in broadcasts
    post.refresh_from_db()
    world.thread.refresh_from_db()
    assert not post.is_pending and post.position == thread_before[1] + 1
    assert world.thread.post_count == thread_before[0] + 1
    assert world.thread.last_post_id == post.pk and world.thread.last_poster_id == newcomer.pk
    forum = Forum.objects.get(pk=world.thread.forum_id)
    assert forum.post_count == thread_before[4] + 1 and forum.last_post_id == post.pk
    event = ThreadEvent.objects.get(thread=world.thread, payload__post_id=post.pk)
    assert event.type == "post.created" and event.seq == world.thread.event_seq
    assert any(e["event"]["type"] == "post.created" and e["event"]["post_id"] == post.pk
               for e in _thread_groups(broadcasts, world.thread))
    assert created_signals == [(post.pk, False)]
    # Notifications fan out: the thread's author (watching) hears of the reply...
    assert Notification.objects.filter(recipient=world.author, kind=Kind.REPLY,
                                       post=post).exists()
    # ...and the newcomer of the approval, with the reason.
    told = Notification.objects.get(recipient=newcomer, kind=Kind.MODERATION)
    assert told.action == "approved" and told.reason == "Welkom!"
    entry = AuditEntry.objects.get(action="post.approved")
    assert entry.actor == world.moderator and entry.object_id == post.pk
    assert entry.region == world.region and entry.reason == "Welkom!"
    assert entry.object_label.startswith(f"#{post.position} · ")
    assert search.search(viewer=world.member, query="kwelwater").total == 1
    assert queue_count(viewer=world.moderator) == 0


def test_approving_a_thread_publishes_it_and_tells_its_watchers(
        world, created_signals, django_capture_on_commit_callbacks):
    from forums.models import ForumSubscription

    forum = world.thread.forum
    ForumSubscription.objects.create(user=world.member, forum=forum)
    newcomer = make_member(region=world.region)
    thread = forum_services.create_thread(actor=newcomer, forum=forum, title="Kwel", body=BODY)
    threads_before = Forum.objects.get(pk=forum.pk).thread_count
    post = thread.posts.get()
    with django_capture_on_commit_callbacks(execute=True):
        approvals.approve_post(actor=world.moderator, post=post)
    thread.refresh_from_db()
    post.refresh_from_db()
    assert not thread.is_pending and post.position == 1
    assert thread.post_count == 1 and thread.last_position == 1
    assert Forum.objects.get(pk=forum.pk).thread_count == threads_before + 1
    assert created_signals == [(post.pk, True)]
    assert Notification.objects.filter(recipient=world.member, kind=Kind.NEW_THREAD,
                                       thread=thread).exists()
    assert forum_selectors.get_thread(viewer=world.outsider, thread_id=thread.pk) == thread
    assert search.search(viewer=world.member, query="kwelwater").total == 1


# --- Declining -------------------------------------------------------------------------------

def test_declining_needs_a_reason_and_keeps_the_post_out_for_good(
        world, broadcasts, django_capture_on_commit_callbacks):
    newcomer = make_member(region=world.region)
    post = _reply(world, newcomer)
    before = _counters(world.thread)
    with pytest.raises(ValidationError):
        approvals.decline_post(actor=world.moderator, post=post, reason="  ")
    assert Post.objects.get(pk=post.pk).is_deleted is False
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decline_post(actor=world.moderator, post=post, reason="Reclame.")
    post.refresh_from_db()
    assert post.is_deleted and post.is_pending and post.position is None
    assert _counters(world.thread) == before
    assert _thread_groups(broadcasts, world.thread) == []
    told = Notification.objects.get(recipient=newcomer, kind=Kind.MODERATION)
    assert told.action == "declined" and told.reason == "Reclame."
    assert AuditEntry.objects.get(action="post.declined").reason == "Reclame."
    with pytest.raises(ValidationError):
        approvals.approve_post(actor=world.moderator, post=post)
    assert queue_count(viewer=world.moderator) == 0
    # Still a new member: the next post waits as well.
    assert _reply(world, newcomer, "Opnieuw").is_pending


def test_a_declined_thread_stays_out_and_its_author_is_told(
        world, client, django_capture_on_commit_callbacks):
    from notifications.present import describe

    newcomer = make_member(region=world.region)
    thread = forum_services.create_thread(actor=newcomer, forum=world.thread.forum,
                                          title="Koop nu", body="Goedkope pompen!")
    with django_capture_on_commit_callbacks(execute=True):
        approvals.decline_post(actor=world.moderator, post=thread.posts.get(), reason="Reclame.")
    thread.refresh_from_db()
    assert thread.is_pending and thread.is_declined
    client.force_login(world.member)
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(newcomer)
    assert "afgewezen" in client.get(thread.get_absolute_url()).content.decode()
    told = Notification.objects.get(recipient=newcomer, kind=Kind.MODERATION)
    assert "afgewezen" in describe(told)


# --- Who may decide --------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["member", "other_moderator", "author", "outsider"])
def test_only_the_regions_moderators_approve_or_decline(world, who):
    newcomer = make_member(region=world.region)
    post = _reply(world, newcomer)
    before = _counters(world.thread)
    actor = getattr(world, who)
    with pytest.raises(PermissionDenied):
        approvals.approve_post(actor=actor, post=post)
    with pytest.raises(PermissionDenied):
        approvals.decline_post(actor=actor, post=post, reason="Nee")
    post.refresh_from_db()
    assert post.is_pending and not post.is_deleted
    assert _counters(world.thread) == before
    refused = AuditEntry.objects.filter(actor=actor, result=AuditEntry.Result.DENIED)
    assert set(refused.values_list("action", flat=True)) == {"post.approved", "post.declined"}
    assert not AuditEntry.objects.filter(result=AuditEntry.Result.SUCCESS,
                                         action__in=["post.approved", "post.declined"]).exists()


@pytest.mark.parametrize("who, status", [("member", 404), ("other_moderator", 404),
                                         ("outsider", 404), ("moderator", 302)])
def test_the_approve_form_answers_by_role(world, client, who, status):
    post = _reply(world, make_member(region=world.region))
    client.force_login(getattr(world, who))
    response = client.post(reverse("moderation:waiting_action", args=[post.pk]),
                           {"action": "approve"})
    assert response.status_code == status
    post.refresh_from_db()
    assert post.is_pending is (status != 302)


def test_vouching_is_for_the_regions_moderators(world):
    newcomer = make_member(region=world.region)
    for actor in (world.member, world.other_moderator, newcomer):
        with pytest.raises(PermissionDenied):
            approvals.vouch(actor=actor, user=newcomer, region=world.region)
    assert not Vouch.objects.exists()
    assert AuditEntry.objects.filter(action="user.vouched",
                                     result=AuditEntry.Result.DENIED).count() == 3


# --- Pages -----------------------------------------------------------------------------------

def test_queue_lists_waiting_posts_and_its_forms_approve_and_decline(world, client):
    newcomer = make_member(region=world.region, display_name="Nieuwe Nina")
    first = _reply(world, newcomer)
    second = _reply(world, newcomer, "Tweede vraag over drainage.")
    client.force_login(world.moderator)
    url = reverse("moderation:region_queue", args=[world.region.slug])
    page = client.get(url).content.decode()
    assert "Berichten die op goedkeuring wachten" in page
    assert "kwelwater" in page and "drainage" in page and "Nieuwe Nina" in page
    action = reverse("moderation:waiting_action", args=[second.pk])
    client.post(action, {"action": "decline", "reason": ""})
    assert Post.objects.get(pk=second.pk).is_deleted is False  # a reason is required
    client.post(action, {"action": "decline", "reason": "Dubbel."})
    client.post(reverse("moderation:waiting_action", args=[first.pk]), {"action": "approve"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_pending and second.is_deleted
    page = client.get(url).content.decode()
    assert "drainage" not in page
    client.force_login(world.other_moderator)
    other_queue = reverse("moderation:region_queue", args=[world.other_region.slug])
    assert "kwelwater" not in client.get(other_queue).content.decode()


def test_member_page_offers_vouching_in_the_moderators_regions(world, client):
    newcomer = make_member(region=world.region)
    client.force_login(world.moderator)
    url = reverse("moderation:member", args=[newcomer.username])
    assert "Instaan voor dit lid" in client.get(url).content.decode()
    response = client.post(url, {"action": "vouch", "vouch-region": world.region.slug})
    assert response.status_code == 302
    assert Vouch.objects.filter(user=newcomer, region=world.region,
                                vouched_by=world.moderator).exists()
    assert not _reply(world, newcomer).is_pending
    # A region the moderator does not moderate is not offered, and a forged form does nothing.
    client.post(url, {"action": "vouch", "vouch-region": world.other_region.slug})
    assert not Vouch.objects.filter(region=world.other_region).exists()
    client.post(url, {"action": "unvouch", "vouch-region": world.region.slug})
    assert not Vouch.objects.exists()
    assert AuditEntry.objects.filter(action="user.unvouched").exists()


# --- One rule for lists and objects ----------------------------------------------------------

@pytest.mark.parametrize("who, sees", [
    ("anonymous", False), ("member", False), ("outsider", False), ("other_moderator", False),
    ("moderator_without_mfa", False), ("newcomer", True), ("moderator", True), ("staff", True),
])
def test_a_waiting_thread_and_post_are_seen_alike_in_lists_and_objects(world, who, sees):
    from django.contrib.auth.models import AnonymousUser

    from forums import permissions as forum_permissions

    newcomer = make_member(region=world.region)
    viewers = {
        "anonymous": AnonymousUser(), "newcomer": newcomer,
        "moderator_without_mfa": make_member(region=world.region, role=Role.MODERATOR,
                                             user=make_user()),
    }
    viewer = viewers.get(who) or getattr(world, who)
    thread = forum_services.create_thread(actor=newcomer, forum=world.thread.forum, title="Kwel",
                                          body=BODY)
    reply = _reply(world, newcomer, "Een wachtend antwoord")
    opening = thread.posts.get()
    threads = forum_permissions.visible_threads(viewer, Thread.objects.all())
    posts = forum_permissions.visible_posts(viewer, Post.objects.all())
    assert (thread in threads) is sees
    assert forum_permissions.can_view_thread(viewer, thread) is sees
    for post in (opening, reply):
        assert (post in posts) is sees
        assert forum_permissions.can_view_post(viewer, post) is sees
    # The published thread and its posts stay visible to everyone who could read them.
    assert world.thread in threads and world.post in posts


def test_a_moderator_sees_a_waiting_threads_opening_post_on_its_page(world, client):
    newcomer = make_member(region=world.region)
    thread = forum_services.create_thread(actor=newcomer, forum=world.thread.forum, title="Kwel",
                                          body=BODY)
    client.force_login(world.moderator)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "kwelwater" in page and "beoordelingswachtrij" in page


def test_a_waiting_reply_posted_through_fetch_sends_the_page_to_load_it(world, client):
    newcomer = make_member(region=world.region)
    client.force_login(newcomer)
    response = client.post(reverse("forums:reply", args=[world.thread.pk]),
                           {"body": BODY, "idempotency_key": "f1"},
                           headers={"X-Requested-With": "fetch"})
    assert response.status_code == 202
    post = Post.objects.get(author=newcomer)
    assert response.json()["location"].endswith(f"#post-{post.pk}")
    page = client.get(response.json()["location"]).content.decode()
    assert "kwelwater" in page and "Wacht op goedkeuring van een moderator." in page


def test_the_other_post_actions_leave_a_waiting_post_to_the_queue(world, client):
    post = _reply(world, make_member(region=world.region))
    client.force_login(world.moderator)
    for action in ("hide", "delete"):
        response = client.post(reverse("moderation:post_action", args=[post.pk]),
                               {"action": action, "reason": "Spam"})
        assert response.status_code == 302
    post.refresh_from_db()
    assert post.is_pending and not post.is_deleted and not post.is_hidden
