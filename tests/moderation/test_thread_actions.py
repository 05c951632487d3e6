"""Moderators' actions on whole threads (moderation.threads and its page): lock, pin,
rename, kind, tags, move, merge, split. Each is audited with before/after, tells the readers
(ThreadEvent + broadcast after commit) and the author (a notification with the reason); a
refused or invalid attempt changes nothing and broadcasts nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from forums import services as forum_services
from forums.models import Forum, Post, Tag, Thread, ThreadEvent, ThreadRedirect, ThreadSubscription
from live import broadcast
from moderation import people, threads
from moderation.models import AuditEntry
from notifications.kinds import Kind
from notifications.models import Notification
from regions import permissions as region_permissions
from regions.models import Membership, Role
from tests.factories import make_member, make_post, make_thread

pytestmark = pytest.mark.django_db


def told(user, action=None):
    rows = Notification.objects.filter(recipient=user, kind=Kind.MODERATION)
    return list(rows.filter(action=action) if action else rows)


def events_of(thread, type=None):
    rows = ThreadEvent.objects.filter(thread_id=thread.pk).order_by("seq")
    return list(rows.filter(type=type) if type else rows)


def suspended_member(world):
    member = make_member(region=world.region)
    people.suspend(actor=world.moderator, user=member, region=world.region, reason="Rust",
                   ends_at=timezone.now() + timedelta(days=3))
    return member


def thread_events(sent, thread):
    return [e["event"] for g, e in sent
            if g == broadcast.thread_group(thread.pk) and e["type"] == "thread.event"]


# --- Lock and pin -------------------------------------------------------------------------------

def test_a_moderator_locks_audited_told_and_live(world, broadcasts, after_commit):
    with after_commit():
        threads.set_locked(actor=world.moderator, thread=world.thread, locked=True,
                           reason="Uitgepraat")
    assert world.fresh(world.thread).is_locked
    entry = AuditEntry.objects.get(action="thread.locked")
    assert (entry.actor, entry.object_type, entry.object_id, entry.region) == (
        world.moderator, "thread", world.thread.pk, world.region)
    assert (entry.before, entry.after, entry.reason) == (
        {"is_locked": False}, {"is_locked": True}, "Uitgepraat")
    [event] = events_of(world.thread, "thread.updated")
    assert event.payload["is_locked"] is True
    assert [e["type"] for e in thread_events(broadcasts, world.thread)] == ["thread.updated"]
    [notification] = told(world.author, "locked")
    assert notification.reason == "Uitgepraat" and notification.thread_id == world.thread.pk

    with after_commit():
        threads.set_locked(actor=world.staff, thread=world.thread, locked=False)
    assert not world.fresh(world.thread).is_locked
    assert AuditEntry.objects.get(action="thread.unlocked").before == {"is_locked": True}
    assert told(world.author, "unlocked")


def test_pin_and_unpin_are_audited_and_told(world, after_commit):
    with after_commit():
        threads.set_pinned(actor=world.moderator, thread=world.thread, pinned=True)
        threads.set_pinned(actor=world.moderator, thread=world.thread, pinned=False,
                           reason="Niet meer actueel")
    assert not world.fresh(world.thread).is_pinned
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", "before", "after"))
    assert actions == [("thread.pinned", {"is_pinned": False}, {"is_pinned": True}),
                       ("thread.unpinned", {"is_pinned": True}, {"is_pinned": False})]
    assert [n.action for n in told(world.author)] == ["unpinned", "pinned"]


@pytest.mark.parametrize("who", ["other_moderator", "member", "outsider", "suspended"])
def test_others_cannot_lock_and_nothing_happens(world, broadcasts, after_commit, who):
    actor = suspended_member(world) if who == "suspended" else getattr(world, who)
    before_events = len(events_of(world.thread))
    with after_commit(), pytest.raises(PermissionDenied):
        threads.set_locked(actor=actor, thread=world.thread, locked=True, reason="x")
    assert not world.fresh(world.thread).is_locked
    assert len(events_of(world.thread)) == before_events
    assert thread_events(broadcasts, world.thread) == []
    assert AuditEntry.objects.filter(action="thread.locked", result="denied",
                                     actor=actor).exists()
    assert not AuditEntry.objects.filter(action="thread.locked", result="success").exists()
    assert told(world.author) == []


def test_locking_a_locked_thread_is_an_error_not_a_second_entry(world):
    threads.set_locked(actor=world.moderator, thread=world.thread, locked=True)
    with pytest.raises(ValidationError):
        threads.set_locked(actor=world.moderator, thread=world.thread, locked=True)
    assert AuditEntry.objects.filter(action="thread.locked").count() == 1


# --- Rename, kind, tags -------------------------------------------------------------------------

def test_rename_is_audited_live_and_told_with_the_reason(world, broadcasts, after_commit):
    with after_commit():
        threads.rename_thread(actor=world.moderator, thread=world.thread,
                              title="  Peilbuizen: hoe vaak uitlezen?  ",
                              reason="Duidelijker titel")
    assert world.fresh(world.thread).title == "Peilbuizen: hoe vaak uitlezen?"
    entry = AuditEntry.objects.get(action="thread.renamed")
    assert entry.before == {"title": "Peilbuizen uitlezen"}
    assert entry.after == {"title": "Peilbuizen: hoe vaak uitlezen?"}
    [event] = thread_events(broadcasts, world.thread)
    assert (event["type"], event["title"]) == ("thread.updated", "Peilbuizen: hoe vaak uitlezen?")
    [notification] = told(world.author, "renamed")
    assert notification.reason == "Duidelijker titel"


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_bad_title_changes_nothing(world, broadcasts, after_commit, title):
    with after_commit(), pytest.raises(ValidationError) as error:
        threads.rename_thread(actor=world.moderator, thread=world.thread, title=title)
    assert "title" in error.value.error_dict
    assert world.fresh(world.thread).title == "Peilbuizen uitlezen"
    assert broadcasts == [] and not AuditEntry.objects.filter(action="thread.renamed").exists()


def test_kind_changes_follow_the_rules(world, after_commit):
    thread = world.thread
    with after_commit():
        threads.change_kind(actor=world.moderator, thread=thread, kind="question")
    reply = make_post(thread=thread, author=world.member, body="Elk kwartaal.")
    forum_services.accept_answer(actor=world.author, thread=world.fresh(thread), post=reply)
    with after_commit():
        threads.change_kind(actor=world.moderator, thread=thread, kind="report",
                            reason="Dit is een verslag")
    thread = world.fresh(thread)
    assert thread.kind == "report" and thread.accepted_answer_id is None
    assert thread.report is not None  # the sections exist, empty, for the author to fill
    entry = AuditEntry.objects.filter(action="thread.kind_changed").latest("pk")
    assert entry.before == {"kind": "question", "accepted_answer": reply.pk}
    assert entry.after == {"kind": "report", "accepted_answer": None}
    assert {n.action for n in told(world.author)} == {"kind_changed"}
    with pytest.raises(ValidationError):
        threads.change_kind(actor=world.moderator, thread=thread, kind="poll")


def test_a_report_cannot_live_in_a_national_forum(world):
    national = Forum.objects.create(name="Landelijk", slug="landelijk-test")
    thread = make_thread(forum=national, author=world.member)
    with pytest.raises(ValidationError):
        threads.change_kind(actor=world.staff, thread=thread, kind="report")
    assert world.fresh(thread).kind == "discussion"
    with pytest.raises(PermissionDenied):  # national forums: staff only
        threads.change_kind(actor=world.moderator, thread=thread, kind="question")


def test_tags_come_from_the_region_and_the_programme(world, after_commit):
    ours = Tag.objects.create(region=world.region, slug="grondwater", name="Grondwater")
    programme = Tag.objects.create(region=None, slug="bodem", name="Bodem")
    theirs = Tag.objects.create(region=world.other_region, slug="dijken", name="Dijken")
    with after_commit():
        threads.set_tags(actor=world.moderator, thread=world.thread,
                         tags=[ours, programme], reason="Beter vindbaar")
    assert set(world.fresh(world.thread).tags.all()) == {ours, programme}
    entry = AuditEntry.objects.get(action="thread.retagged")
    assert (entry.before, entry.after) == ({"tags": []}, {"tags": ["bodem", "grondwater"]})
    assert events_of(world.thread, "thread.updated")
    assert told(world.author, "retagged")[0].reason == "Beter vindbaar"
    with pytest.raises(ValidationError):
        threads.set_tags(actor=world.moderator, thread=world.thread, tags=[theirs])
    assert set(world.fresh(world.thread).tags.all()) == {ours, programme}


# --- Move ---------------------------------------------------------------------------------------

def _forums(world):
    members, _reports, questions = Forum.objects.filter(region=world.region).order_by("position")
    other_members = Forum.objects.filter(region=world.other_region).order_by("position").first()
    return members, questions, other_members


def test_a_moderator_moves_within_the_region_with_counters_events_and_audit(
        world, broadcasts, after_commit):
    members, questions, _other = _forums(world)
    with after_commit():
        threads.move_thread(actor=world.moderator, thread=world.thread, forum=members,
                            reason="Hoort bij algemeen")
    thread = world.fresh(world.thread)
    assert thread.forum == members
    members.refresh_from_db()
    questions.refresh_from_db()
    assert (members.thread_count, members.post_count) == (1, 2)
    assert (questions.thread_count, questions.post_count, questions.last_post) == (0, 0, None)
    # Every socket asks again who may read, before the event that describes the move.
    group = broadcast.thread_group(thread.pk)
    to_group = [e for g, e in broadcasts if g == group]
    assert to_group[0] == {"type": "thread.access_changed"}
    assert to_group[1]["event"]["type"] == "thread.moved"
    assert to_group[1]["event"]["forum_id"] == members.pk
    entry = AuditEntry.objects.get(action="thread.moved")
    assert entry.before["forum_id"] == questions.pk and entry.after["forum_id"] == members.pk
    assert told(world.author, "moved")[0].reason == "Hoort bij algemeen"
    assert Client().get(reverse("forums:thread", args=[thread.pk])).status_code == 404


def test_moving_to_another_region_needs_both_and_drops_the_old_regions_tags(world, broadcasts,
                                                                            after_commit):
    _members, _questions, other_forum = _forums(world)
    ours = Tag.objects.create(region=world.region, slug="grondwater", name="Grondwater")
    programme = Tag.objects.create(region=None, slug="bodem", name="Bodem")
    world.thread.tags.set([ours, programme])
    for actor in (world.moderator, world.other_moderator):
        with after_commit(), pytest.raises(PermissionDenied):
            threads.move_thread(actor=actor, thread=world.thread, forum=other_forum,
                                reason="Verkeerde regio")
    assert world.fresh(world.thread).forum.region == world.region
    assert broadcasts == [] and told(world.author) == []
    assert AuditEntry.objects.filter(action="thread.moved", result="denied").count() == 2

    Membership.objects.create(user=world.moderator, region=world.other_region,
                              role=Role.MODERATOR)
    region_permissions.reset_cache(world.moderator)
    with after_commit():
        threads.move_thread(actor=world.moderator, thread=world.thread,
                            forum=other_forum, reason="Verkeerde regio")
    thread = world.fresh(world.thread)
    assert thread.forum == other_forum and list(thread.tags.all()) == [programme]
    entries = AuditEntry.objects.filter(action="thread.moved", result="success")
    assert {e.region for e in entries} == {world.region, world.other_region}
    assert entries[0].before["tags"] == ["bodem", "grondwater"]


def test_staff_move_anywhere(world, after_commit):
    _m, _q, other_forum = _forums(world)
    with after_commit():
        threads.move_thread(actor=world.staff, thread=world.thread, forum=other_forum,
                            reason="Andere regio")
    assert world.fresh(world.thread).forum == other_forum


def test_moving_to_the_same_forum_or_without_a_reason_changes_nothing(world, broadcasts):
    members, questions, _other = _forums(world)
    with pytest.raises(ValidationError):
        threads.move_thread(actor=world.moderator, thread=world.thread, forum=questions,
                            reason="x")
    with pytest.raises(ValidationError):
        threads.move_thread(actor=world.moderator, thread=world.thread, forum=members,
                            reason="  ")
    assert world.fresh(world.thread).forum == questions and broadcasts == []


# --- Merge --------------------------------------------------------------------------------------

@pytest.fixture
def two_threads(world):
    """A (world.thread: opening + 1 reply) and B in the same forum (opening + 1 reply)."""
    target = make_thread(forum=world.thread.forum, author=world.member, title="Peilbuizen")
    b_reply = make_post(thread=target, author=world.moderator, body="Later antwoord.")
    return world.thread, world.fresh(target), b_reply


def test_merge_appends_in_order_redirects_and_tells(world, two_threads, broadcasts,
                                                    after_commit, client):
    source, target, _b_reply = two_threads
    source_posts = list(Post.objects.filter(thread=source).order_by("created_at", "pk")
                        .values_list("pk", flat=True))
    ThreadSubscription.objects.get_or_create(user=world.outsider, thread=source)
    with after_commit():
        threads.merge_threads(actor=world.moderator, thread=source, into=target,
                              reason="Dubbel onderwerp")
    assert not Thread.objects.filter(pk=source.pk).exists()
    target = world.fresh(target)
    positions = list(Post.objects.filter(thread=target).order_by("position")
                     .values_list("position", "pk"))
    # B keeps its own 1 and 2; A's posts follow in the order they were written.
    assert [p for p, _pk in positions] == [1, 2, 3, 4]
    assert [pk for _p, pk in positions][2:] == source_posts
    assert (target.post_count, target.last_position) == (4, 4)
    newest = Post.objects.filter(thread=target).order_by("-created_at", "-pk").first()
    assert target.last_post == newest and target.last_poster_id == newest.author_id
    forum = target.forum
    forum.refresh_from_db()
    assert (forum.thread_count, forum.post_count) == (1, 4)
    assert ThreadSubscription.objects.filter(user=world.outsider, thread=target).exists()
    assert ThreadRedirect.objects.get(old_thread_id=source.pk).thread_id == target.pk

    # Readers of A are told where to go; readers of B reload.
    [merged] = thread_events(broadcasts, source)
    assert merged["type"] == "thread.merged" and merged["into_thread_id"] == target.pk
    assert merged["url"] == f"/onderwerp/{target.pk}/"
    [event] = events_of(target, "posts.merged")
    assert event.payload["post_ids"] == source_posts
    assert [e["type"] for e in thread_events(broadcasts, target)] == ["posts.merged"]

    entry = AuditEntry.objects.get(action="thread.merged")
    assert (entry.object_type, entry.object_id) == ("thread", source.pk)
    assert entry.before["post_count"] == 2 and entry.after["into_thread_id"] == target.pk
    assert entry.after["positions"] == [3, 4]
    [notification] = told(world.author, "merged")
    assert notification.thread_id == target.pk and notification.reason == "Dubbel onderwerp"

    response = client.get(f"/onderwerp/{source.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/onderwerp/{target.pk}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_redirect_follows_a_second_merge(world, two_threads, after_commit, client):
    source, target, _ = two_threads
    third = make_thread(forum=source.forum, author=world.member, title="Derde")
    threads.merge_threads(actor=world.moderator, thread=source, into=target, reason="1")
    threads.merge_threads(actor=world.moderator, thread=target, into=third, reason="2")
    assert client.get(f"/onderwerp/{source.pk}/")["Location"] == f"/onderwerp/{third.pk}/"


def test_notifications_of_a_merged_thread_follow_its_posts(world, two_threads, after_commit,
                                                          client):
    """Notifications pointed at the merged thread (and went with it, on CASCADE): they now
    point at the receiving thread, and opening one lands on the post there."""
    source, target, _ = two_threads
    watcher = make_member(region=world.region)
    ThreadSubscription.objects.get_or_create(user=watcher, thread=source)
    with after_commit():
        reply = forum_services.create_post(actor=world.member, thread=source, body="Ook zo.")
        threads.set_locked(actor=world.moderator, thread=source, locked=True)
    [about_reply] = Notification.objects.filter(recipient=watcher, kind=Kind.REPLY)
    [about_lock] = told(world.author, "locked")
    assert about_reply.thread_id == about_lock.thread_id == source.pk

    with after_commit():
        threads.merge_threads(actor=world.moderator, thread=source, into=target,
                              reason="Dubbel onderwerp")
    about_reply.refresh_from_db()
    about_lock.refresh_from_db()
    assert (about_reply.thread_id, about_reply.post_id) == (target.pk, reply.pk)
    assert about_lock.thread_id == target.pk
    reply.refresh_from_db()
    client.force_login(watcher)
    response = client.get(about_reply.get_absolute_url(), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == \
        f"/onderwerp/{target.pk}/?page={reply.page}#post-{reply.pk}"
    assert f'id="post-{reply.pk}"' in response.content.decode()


def test_notifications_follow_a_merged_thread_into_another_region(world, after_commit):
    elsewhere = make_thread(forum=world.other_region.forums.get(slug="vragen-en-antwoorden"),
                            author=world.outsider, title="In Zuid")
    with after_commit():
        threads.set_locked(actor=world.moderator, thread=world.thread, locked=True)
    [about_lock] = told(world.author, "locked")
    assert about_lock.region_id == world.region.pk
    with after_commit():
        threads.merge_threads(actor=world.staff, thread=world.thread, into=elsewhere,
                              reason="Hoort in Zuid")
    about_lock.refresh_from_db()
    assert (about_lock.thread_id, about_lock.region_id) == (elsewhere.pk, world.other_region.pk)


def _unchanged(world, source, target, broadcasts, notifications_before=0):
    assert Thread.objects.filter(pk=source.pk).exists()
    assert Post.objects.filter(thread=source).count() == 2
    assert Post.objects.filter(thread=target).count() == 2
    assert not ThreadRedirect.objects.exists()
    assert broadcasts == []
    assert not AuditEntry.objects.filter(action="thread.merged", result="success").exists()
    assert len(told(world.author)) == notifications_before


def test_merging_into_itself_is_refused(world, two_threads, broadcasts, after_commit):
    source, target, _ = two_threads
    with after_commit(), pytest.raises(ValidationError) as error:
        threads.merge_threads(actor=world.moderator, thread=source, into=source,
                              reason="x")
    assert "into" in error.value.error_dict
    _unchanged(world, source, target, broadcasts)


def test_merging_across_regions_needs_both(world, two_threads, broadcasts, after_commit):
    source, target, _ = two_threads
    _m, _q, other_forum = _forums(world)
    elsewhere = make_thread(forum=other_forum, author=world.outsider, title="Elders")
    broadcasts.clear()
    for actor in (world.moderator, world.other_moderator, world.member):
        with after_commit(), pytest.raises(PermissionDenied):
            threads.merge_threads(actor=actor, thread=source, into=elsewhere,
                                  reason="x")
    assert Post.objects.filter(thread=elsewhere).count() == 1
    _unchanged(world, source, target, broadcasts)
    assert AuditEntry.objects.filter(action="thread.merged", result="denied").count() == 3
    with after_commit():
        threads.merge_threads(actor=world.staff, thread=source, into=elsewhere,
                              reason="Staf mag overal")
    assert Post.objects.filter(thread=elsewhere).count() == 3


# --- Split --------------------------------------------------------------------------------------

@pytest.fixture
def long_thread(world):
    """world.thread with posts 1 (opening), 2 (author), 3, 4, 5 (two other members)."""
    writer = make_member(region=world.region)
    other = make_member(region=world.region)
    p3 = make_post(thread=world.thread, author=writer, body="Drie")
    p4 = make_post(thread=world.thread, author=other, body="Vier")
    p5 = make_post(thread=world.thread, author=writer, body="Vijf")
    return world.fresh(world.thread), [world.post, p3, p4, p5], writer, other


def test_split_moves_the_chosen_posts_and_renumbers_both(world, long_thread, broadcasts,
                                                         after_commit):
    thread, (p2, p3, p4, p5), writer, other = long_thread
    members, _questions, _other = _forums(world)
    created_html = {e.payload["post_id"] for e in events_of(thread, "post.created")}
    assert p3.pk in created_html
    with after_commit():
        new = threads.split_thread(actor=world.moderator, thread=thread,
                                   post_ids=[p5.pk, p3.pk], title="Afsplitsing",
                                   forum=members, reason="Ander onderwerp")
    assert (new.title, new.forum, new.author) == ("Afsplitsing", members, writer)
    assert list(Post.objects.filter(thread=new).order_by("position")
                .values_list("pk", "position")) == [(p3.pk, 1), (p5.pk, 2)]
    assert list(Post.objects.filter(thread=thread).order_by("position")
                .values_list("pk", "position")) == [
        (Post.objects.get(thread=thread, position=1).pk, 1), (p2.pk, 2), (p4.pk, 3)]
    thread, new = world.fresh(thread), world.fresh(new)
    assert (thread.post_count, thread.last_position, thread.last_post_id) == (3, 3, p4.pk)
    assert (new.post_count, new.last_position, new.last_post_id) == (2, 2, p5.pk)
    members.refresh_from_db()
    assert (members.thread_count, members.post_count) == (1, 2)

    [split] = thread_events(broadcasts, thread)
    assert split["type"] == "posts.split" and split["post_ids"] == [p3.pk, p5.pk]
    # The moved posts' text is no longer replayed to this thread's readers.
    for event in events_of(thread):
        if event.payload.get("post_id") in (p3.pk, p5.pk):
            assert event.type == "post.moved" and "html" not in event.payload
    entry = AuditEntry.objects.get(action="thread.split")
    assert entry.before["positions"] == [3, 5] and entry.after["positions"] == [1, 2]
    assert entry.after["thread_id"] == new.pk
    assert told(writer, "split")[0].thread_id == new.pk
    assert told(writer, "split")[0].reason == "Ander onderwerp"
    assert told(other) == [] and told(world.author) == []


@pytest.mark.parametrize("case", ["opening", "foreign", "none", "other_moderator", "member"])
def test_bad_splits_change_nothing(world, long_thread, broadcasts, after_commit, case):
    thread, (p2, p3, _p4, _p5), _writer, _other = long_thread
    opening = Post.objects.get(thread=thread, position=1)
    foreign = make_post(thread=make_thread(forum=thread.forum, title="Ander"), body="x")
    post_ids = {"opening": [opening.pk, p2.pk], "foreign": [foreign.pk], "none": []}.get(
        case, [p3.pk])
    actor = getattr(world, case, world.moderator)
    broadcasts.clear()
    before = list(Post.objects.filter(thread=thread).values_list("pk", "position"))
    with after_commit(), pytest.raises((ValidationError, PermissionDenied)):
        threads.split_thread(actor=actor, thread=thread, post_ids=post_ids, title="T",
                             forum=thread.forum, reason="r")
    assert list(Post.objects.filter(thread=thread).values_list("pk", "position")) == before
    assert Thread.objects.filter(title="T").count() == 0
    assert broadcasts == []


# --- The page ----------------------------------------------------------------------------------

def _page(thread):
    return reverse("moderation:thread", args=[thread.pk])


def test_the_thread_page_links_moderators_to_the_panel(world, client):
    client.force_login(world.moderator)
    assert _page(world.thread) in client.get(world.thread.get_absolute_url()).content.decode()
    client.force_login(world.member)
    assert _page(world.thread) not in client.get(world.thread.get_absolute_url()).content.decode()


@pytest.mark.parametrize("who, status", [("moderator", 200), ("staff", 200), ("member", 403),
                                         ("other_moderator", 403), ("outsider", 403)])
def test_who_opens_the_panel(world, client, who, status):
    client.force_login(getattr(world, who))
    assert client.get(_page(world.thread)).status_code == status
    assert client.get(reverse("moderation:split", args=[world.thread.pk])).status_code == status


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    response = client.get(_page(world.thread))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["member", "other_moderator"])
def test_posting_an_action_without_the_right_is_403_and_changes_nothing(world, client,
                                                                      broadcasts, who):
    client.force_login(getattr(world, who))
    response = client.post(_page(world.thread), {"action": "rename",
                                                 "rename-title": "Gekaapt"})
    assert response.status_code == 403
    assert world.fresh(world.thread).title == "Peilbuizen uitlezen" and broadcasts == []


def test_csrf_is_required(world, broadcasts):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.moderator)
    response = client.post(_page(world.thread), {"action": "lock"})
    assert response.status_code == 403
    assert not world.fresh(world.thread).is_locked and broadcasts == []


def test_the_lock_button_on_the_thread_page_is_audited(world, client, after_commit):
    client.force_login(world.moderator)
    with after_commit():
        response = client.post(_page(world.thread), {"action": "lock"})
    assert response.status_code == 302 and response["Location"] == world.thread.get_absolute_url()
    assert world.fresh(world.thread).is_locked
    assert AuditEntry.objects.filter(action="thread.locked", result="success").exists()
    assert told(world.author, "locked")


def test_rename_through_the_page(world, client, after_commit):
    client.force_login(world.moderator)
    with after_commit():
        response = client.post(_page(world.thread), {
            "action": "rename", "rename-title": "Nieuwe titel", "rename-reason": "Spelling"})
    assert response.status_code == 302
    assert world.fresh(world.thread).title == "Nieuwe titel"
    assert told(world.author, "renamed")[0].reason == "Spelling"


def test_merging_into_itself_on_the_page_is_a_form_error_that_keeps_the_input(world, client,
                                                                                broadcasts):
    client.force_login(world.moderator)
    client.cookies["django_language"] = "en"
    response = client.post(_page(world.thread), {
        "action": "merge", "merge-into": f"https://example.nl/onderwerp/{world.thread.pk}/",
        "merge-reason": "Mijn getypte reden"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "A thread cannot be merged into itself." in page
    assert "Mijn getypte reden" in page
    assert Thread.objects.filter(pk=world.thread.pk).exists() and broadcasts == []


def test_merging_into_another_regions_thread_on_the_page_is_refused_clearly(world, client,
                                                                            broadcasts):
    _m, _q, other_forum = _forums(world)
    elsewhere = make_thread(forum=other_forum, author=world.outsider, title="Elders")
    broadcasts.clear()
    client.force_login(world.moderator)
    client.cookies["django_language"] = "en"
    for into in (str(elsewhere.pk), "999999"):
        response = client.post(_page(world.thread), {
            "action": "merge", "merge-into": into, "merge-reason": "Dubbel"})
        assert response.status_code in (400, 403)
        # The same words whether the thread is elsewhere or does not exist.
        assert "There is no thread you moderate with this number." in response.content.decode()
    assert Post.objects.filter(thread=world.thread).count() == 2 and broadcasts == []


def test_merge_through_the_page_lands_on_the_target(world, two_threads, client, after_commit):
    source, target, _ = two_threads
    client.force_login(world.moderator)
    with after_commit():
        response = client.post(_page(source), {"action": "merge", "merge-into": str(target.pk),
                                               "merge-reason": "Dubbel"})
    assert response.status_code == 302 and response["Location"] == target.get_absolute_url()


def test_move_page_offers_only_forums_the_moderator_moderates(world, client):
    _m, _q, other_forum = _forums(world)
    client.force_login(world.moderator)
    page = client.get(_page(world.thread)).content.decode()
    assert f'value="{other_forum.pk}"' not in page
    response = client.post(_page(world.thread), {"action": "move", "move-forum": other_forum.pk,
                                                  "move-reason": "x"})
    assert response.status_code == 400  # not a choice
    assert world.fresh(world.thread).forum.region == world.region


def test_split_through_the_page(world, long_thread, client, after_commit):
    thread, (_p2, p3, _p4, p5), _writer, _other = long_thread
    url = reverse("moderation:split", args=[thread.pk])
    client.force_login(world.moderator)
    page = client.get(url).content.decode()
    opening = Post.objects.get(thread=thread, position=1)
    assert f'value="{p3.pk}"' in page and f'value="{opening.pk}"' not in page
    response = client.post(url, {"posts": [p3.pk], "title": "", "forum": thread.forum_id,
                                 "reason": "Mijn reden"})
    assert response.status_code == 400 and "Mijn reden" in response.content.decode()
    assert f'value="{p3.pk}" id="split-post-{p3.pk}" checked' in response.content.decode()
    with after_commit():
        response = client.post(url, {"posts": [p3.pk, p5.pk], "title": "Apart",
                                     "forum": thread.forum_id, "reason": "Mijn reden"})
    new = Thread.objects.get(title="Apart")
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert new.post_count == 2


def test_an_anonymous_visitor_of_a_merged_address_is_redirected_too(world, two_threads):
    source, target, _ = two_threads
    threads.merge_threads(actor=world.moderator, thread=source, into=target, reason="x")
    response = Client().get(f"/onderwerp/{source.pk}/")
    assert response.status_code == 301 and response["Location"] == f"/onderwerp/{target.pk}/"
    assert Client().get(f"/onderwerp/{target.pk + 1000}/").status_code == 404


def test_staff_split_into_another_regions_forum(world, long_thread, after_commit):
    thread, (_p2, p3, _p4, _p5), writer, _other = long_thread
    _m, _q, other_forum = _forums(world)
    with pytest.raises(PermissionDenied):
        threads.split_thread(actor=world.moderator, thread=thread, post_ids=[p3.pk],
                             title="Elders", forum=other_forum, reason="r")
    assert AuditEntry.objects.filter(action="thread.split", result="denied").exists()
    with after_commit():
        new = threads.split_thread(actor=world.staff, thread=thread, post_ids=[p3.pk],
                                   title="Elders", forum=other_forum, reason="r")
    assert new.forum == other_forum and new.post_count == 1
    assert AuditEntry.objects.filter(action="thread.split", result="success",
                                     region=world.other_region).exists()


def test_the_new_notifications_read_as_sentences(world, after_commit):
    from django.utils import translation

    from notifications.present import describe

    with after_commit():
        threads.set_pinned(actor=world.moderator, thread=world.thread, pinned=True)
        threads.change_kind(actor=world.moderator, thread=world.thread, kind="question")
    with translation.override("en"):
        texts = {n.action: describe(n) for n in told(world.author)}
    assert texts["pinned"] == "A moderator pinned your thread “Peilbuizen uitlezen”"
    assert texts["kind_changed"] == \
        "A moderator changed the kind of your thread “Peilbuizen uitlezen”"


def test_form_errors_come_in_the_readers_language(world, client):
    client.force_login(world.moderator)
    client.cookies["django_language"] = "nl"
    response = client.post(_page(world.thread), {"action": "merge", "merge-into": "",
                                                 "merge-reason": "Getypt"})
    assert response.status_code == 400
    assert "Dit veld is verplicht." in response.content.decode()
    assert "Getypt" in response.content.decode()


def test_the_tags_form_offers_programme_and_region_tags_and_saves_them(world, client,
                                                                      after_commit):
    ours = Tag.objects.create(region=world.region, slug="grondwater", name="Grondwater")
    programme = Tag.objects.create(region=None, slug="bodem", name="Bodem")
    Tag.objects.create(region=world.other_region, slug="dijken", name="Dijken")
    world.thread.tags.set([programme])
    client.force_login(world.moderator)
    page = client.get(_page(world.thread)).content.decode()
    assert f'value="{programme.pk}" id="id_tags-tags_0" checked' in page
    assert "Grondwater" in page and "Dijken" not in page
    with after_commit():
        response = client.post(_page(world.thread), {"action": "tags",
                                                     "tags-tags": [ours.pk, programme.pk]})
    assert response.status_code == 302
    assert set(world.fresh(world.thread).tags.all()) == {ours, programme}


def test_a_merged_address_does_not_lead_strangers_to_a_members_only_thread(world, client):
    members, _questions, _other = _forums(world)
    private = make_thread(forum=members, author=world.member, title="Intern")
    threads.merge_threads(actor=world.moderator, thread=world.thread, into=private,
                          reason="Intern verder")
    assert Client().get(f"/onderwerp/{world.thread.pk}/").status_code == 404
    client.force_login(world.member)
    assert client.get(f"/onderwerp/{world.thread.pk}/").status_code == 301


def test_posts_waiting_for_approval_keep_waiting_through_merge_and_split(world, two_threads,
                                                                         settings,
                                                                         after_commit):
    """A waiting reply has no place: merging carries it along without one, renumbering and
    counters pass it by, and approval later gives it the next place in its new thread."""
    from forums import services as forum_services

    source, target, _b_reply = two_threads
    settings.MODERATION_NEW_MEMBER_GUARD = True
    newcomer = make_member(region=world.region)
    waiting = forum_services.create_post(actor=newcomer, thread=source, body="Mijn eerste.")
    assert waiting.is_pending and waiting.position is None
    with after_commit():
        threads.merge_threads(actor=world.moderator, thread=source, into=target,
                              reason="Dubbel onderwerp")
    waiting.refresh_from_db()
    target = world.fresh(target)
    assert waiting.thread_id == target.pk and waiting.is_pending and waiting.position is None
    assert (target.post_count, target.last_position) == (4, 4)
    with after_commit():
        threads.split_thread(actor=world.moderator, thread=target,
                             post_ids=[p.pk for p in target.posts.filter(position=4)],
                             title="Apart verder", forum=target.forum,
                             reason="Eigen onderwerp")
    waiting.refresh_from_db()
    target = world.fresh(target)
    assert waiting.thread_id == target.pk and waiting.position is None
    assert (target.post_count, target.last_position) == (3, 3)
    forum_services.approve_post(actor=world.moderator, post=waiting)
    waiting.refresh_from_db()
    assert waiting.position == 4 and not waiting.is_pending
