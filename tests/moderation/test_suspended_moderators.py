"""A moderator suspended in their own region (or site-wide) has no moderator powers there
while it runs, in every entry point: services, pages, the forums' own moderator rights and the
review queue's socket. A suspension elsewhere leaves them alone; staff keep their site-wide
powers even when suspended in a region (moderation.permissions.paused_by_suspension)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from forums import permissions as forum_permissions
from forums import services as forum_services
from forums.models import Post, Thread
from moderation import approvals, people, permissions, posts, region_settings, threads
from moderation.models import AuditEntry, Flag
from regions import permissions as region_permissions
from regions import services as region_services
from regions.models import Membership, Role
from tests.factories import make_forums, make_member, make_region, make_thread, make_user
from tests.live import conftest as live
from tests.live.conftest import make_communicator

session_for = live.session_for
_fresh_channel_layer = live._fresh_channel_layer


def _suspend(world, user, *, where):
    region = {"here": world.region, "elsewhere": world.other_region, "site-wide": None}[where]
    people.suspend(actor=world.staff, user=user, region=region, reason="Even pauze",
                   ends_at=timezone.now() + timedelta(days=3))
    permissions.forget_suspensions(user)


def _waiting_post(world, settings):
    settings.MODERATION_NEW_MEMBER_GUARD = True
    newcomer = make_member(region=world.region)
    post = forum_services.create_post(actor=newcomer, thread=world.thread, body="Eerste!")
    settings.MODERATION_NEW_MEMBER_GUARD = False
    assert post.is_pending
    return post


def _hidden_post(world):
    posts.hide_post(actor=world.staff, post=world.post, reason="Kijken")
    return world.fresh(world.post)


def _other_thread(world):
    return make_thread(forum=world.thread.forum, author=world.member, title="Ander onderwerp")


# Each power: what the actor tries, given the world (and pytest's settings for the guard).
POWERS = {
    "hide a post": lambda a, w, s: posts.hide_post(actor=a, post=w.post, reason="Weg"),
    "restore a post": lambda a, w, s: posts.restore_post(actor=a, post=_hidden_post(w)),
    "delete a post": lambda a, w, s: posts.delete_post(actor=a, post=w.post, reason="Weg"),
    "edit a post": lambda a, w, s: posts.edit_post(actor=a, post=w.post, body="Anders",
                                                   note="Nummer weg"),
    "dismiss flags": lambda a, w, s: posts.dismiss_flags(actor=a, post=w.post),
    "approve": lambda a, w, s: approvals.approve_post(actor=a, post=_waiting_post(w, s)),
    "decline": lambda a, w, s: approvals.decline_post(actor=a, post=_waiting_post(w, s),
                                                      reason="Nee"),
    "lock": lambda a, w, s: threads.set_locked(actor=a, thread=w.thread, locked=True),
    "pin": lambda a, w, s: threads.set_pinned(actor=a, thread=w.thread, pinned=True),
    "rename": lambda a, w, s: threads.rename_thread(actor=a, thread=w.thread,
                                                    title="Nieuwe titel"),
    "move": lambda a, w, s: threads.move_thread(
        actor=a, thread=w.thread, forum=w.thread.forum.region.forums.get(slug="algemeen"),
        reason="Hoort daar"),
    "merge": lambda a, w, s: threads.merge_threads(
        actor=a, thread=w.thread, into=_other_thread(w), reason="Dubbel"),
    "split": lambda a, w, s: threads.split_thread(
        actor=a, thread=w.thread, post_ids=[w.post.pk], title="Apart", forum=w.thread.forum,
        reason="Eigen onderwerp"),
    "suspend a member": lambda a, w, s: people.suspend(
        actor=a, user=w.member, region=w.region, reason="Rust",
        ends_at=timezone.now() + timedelta(days=1)),
    "warn a member": lambda a, w, s: people.warn(actor=a, user=w.member, region=w.region,
                                                 message="Let op je toon."),
    "vouch for a member": lambda a, w, s: approvals.vouch(actor=a, user=w.member, region=w.region),
    "change the settings": lambda a, w, s: region_settings.update_settings(
        actor=a, region=w.region, flag_threshold=5, approval_posts=2),
}


def _membership_request(world):
    world.region.is_open = False
    world.region.save(update_fields=["is_open"])
    return region_services.request_membership(actor=make_user(), region=world.region)


def _membership(world):
    return Membership.objects.get(user=world.member, region=world.region)


# The region's own management (regions and forums services): members, requests, roles, forums.
REGION_POWERS = {
    "decide a membership request": lambda a, w: region_services.decide_request(
        actor=a, request=_membership_request(w), approve=True),
    "change a role": lambda a, w: region_services.change_role(
        actor=a, membership=_membership(w), role=Role.REPORTER),
    "remove a member": lambda a, w: region_services.remove_member(
        actor=a, membership=_membership(w)),
    "add a forum": lambda a, w: forum_services.create_forum(actor=a, region=w.region,
                                                           name="Nieuw forum"),
    "add a tag": lambda a, w: forum_services.create_tag(actor=a, region=w.region,
                                                       name="Grondwater"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("power", REGION_POWERS)
@pytest.mark.parametrize("where", ["here", "site-wide", "elsewhere"])
def test_a_suspended_moderator_does_not_manage_the_region_either(world, power, where):
    _suspend(world, world.moderator, where=where)
    if where == "elsewhere":
        REGION_POWERS[power](world.moderator, world)
        return
    with pytest.raises(PermissionDenied):
        REGION_POWERS[power](world.moderator, world)
    assert _membership(world).role == Role.MEMBER


@pytest.mark.django_db
def test_the_region_management_pages_refuse_a_suspended_moderator(world, client):
    client.force_login(world.moderator)
    manage = reverse("regions:manage", args=[world.region.slug])
    assert client.get(manage).status_code == 200
    _suspend(world, world.moderator, where="here")
    assert client.get(manage).status_code == 403
    assert not region_permissions.can_manage_region(world.moderator, world.region)
    assert not region_permissions.manageable_regions(
        world.moderator, type(world.region).objects.all()).exists()
    staff_regions = region_permissions.manageable_regions(world.staff,
                                                          type(world.region).objects.all())
    assert world.region in staff_regions


# These write what they act on first (a waiting or hidden post, a second thread).
STAGED = {"approve", "decline", "restore a post", "merge"}


@pytest.mark.django_db
@pytest.mark.parametrize("power", POWERS)
def test_a_moderator_suspended_in_the_region_has_none_of_its_powers(world, settings, power):
    Flag.objects.create(post=world.post, user=world.outsider, reason=Flag.Reason.SPAM)
    _suspend(world, world.moderator, where="here")
    post_rows = list(Post.objects.order_by("pk").values())
    thread_rows = list(Thread.objects.order_by("pk").values())
    with pytest.raises(PermissionDenied):
        POWERS[power](world.moderator, world, settings)
    if power not in STAGED:
        assert list(Post.objects.order_by("pk").values()) == post_rows
        assert list(Thread.objects.order_by("pk").values()) == thread_rows
    assert AuditEntry.objects.filter(actor=world.moderator, result="denied").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("power", POWERS)
def test_a_site_wide_suspension_pauses_a_region_moderator_too(world, settings, power):
    Flag.objects.create(post=world.post, user=world.outsider, reason=Flag.Reason.SPAM)
    _suspend(world, world.moderator, where="site-wide")
    with pytest.raises(PermissionDenied):
        POWERS[power](world.moderator, world, settings)


@pytest.mark.django_db
@pytest.mark.parametrize("power", POWERS)
@pytest.mark.parametrize("who, where", [("moderator", "elsewhere"), ("staff", "here")])
def test_a_suspension_elsewhere_or_of_staff_leaves_the_powers(world, settings, power, who,
                                                              where):
    Flag.objects.create(post=world.post, user=world.outsider, reason=Flag.Reason.SPAM)
    actor = getattr(world, who)
    if who == "staff":
        other_staff = type(actor).objects.get(pk=world.staff.pk)
        people.suspend(actor=make_staff(), user=other_staff, region=world.region,
                       reason="Even pauze", ends_at=timezone.now() + timedelta(days=3))
        permissions.forget_suspensions(actor)
    else:
        _suspend(world, actor, where=where)
    POWERS[power](actor, world, settings)  # no PermissionDenied


def make_staff():
    return make_user(staff=True, mfa=True)


@pytest.mark.django_db
def test_the_permission_answers_agree_for_a_suspended_moderator(world):
    moderator = world.moderator
    assert permissions.moderated_region_ids(moderator) == {world.region.pk}
    _suspend(world, moderator, where="here")
    forum = world.thread.forum
    assert not permissions.can_moderate(moderator, world.region)
    assert not permissions.holds_moderator_role(moderator, world.region)
    assert not permissions.holds_any_moderator_role(moderator)
    assert permissions.moderated_region_ids(moderator) == set()
    assert not permissions.moderated_forums(moderator, type(forum).objects.all()).exists()
    assert not permissions.can_view_audit(moderator, world.region)
    assert not permissions.can_moderate_thread(moderator, world.thread)
    assert not permissions.can_lift(moderator, _a_suspension_of(world))
    # The forums' own moderator rights follow: no reply in a locked thread, no editing of
    # someone else's post, no waiting posts of others in lists or on their own.
    assert not forum_permissions.is_moderator(moderator, forum)
    assert not forum_permissions.can_edit_post(moderator, world.post)
    assert forum_permissions._moderated_region_ids(moderator) == []


def _a_suspension_of(world):
    return people.suspend(actor=world.staff, user=world.member, region=world.region,
                          reason="Rust", ends_at=timezone.now() + timedelta(days=1))


@pytest.mark.django_db
def test_a_suspended_moderator_does_not_see_waiting_posts_of_others(world, settings):
    waiting = _waiting_post(world, settings)
    rows = Post.objects.filter(pk=waiting.pk).select_related("thread__forum")
    assert forum_permissions.visible_posts(world.moderator, rows).exists()
    _suspend(world, world.moderator, where="here")
    assert not forum_permissions.visible_posts(world.moderator, rows).exists()
    assert not forum_permissions.can_view_post(world.moderator, waiting)


@pytest.mark.django_db
def test_the_moderation_pages_refuse_a_suspended_moderator_and_say_why(world, client):
    _suspend(world, world.moderator, where="here")
    client.force_login(world.moderator)
    pages = {
        "queue": client.get(reverse("moderation:region_queue", args=[world.region.slug])),
        "audit": client.get(reverse("moderation:region_audit", args=[world.region.slug])),
        "settings": client.get(reverse("moderation:settings", args=[world.region.slug])),
        "thread panel": client.get(reverse("moderation:thread", args=[world.thread.pk])),
        "post action": client.post(reverse("moderation:post_action", args=[world.post.pk]),
                                   {"action": "hide", "reason": "Weg"}),
        "member": client.get(reverse("moderation:member", args=[world.member.username])),
    }
    for name, response in pages.items():
        assert response.status_code == 403, name
    for name in ("queue", "thread panel", "post action"):
        assert "Even pauze" in pages[name].content.decode(), name  # why, until when
    assert not world.fresh(world.post).is_hidden
    # The combined queue no longer leads them to the region's.
    assert client.get(reverse("moderation:queue")).status_code == 403


@pytest.mark.django_db(transaction=True)
async def test_the_queue_socket_refuses_a_suspended_moderator(session_for):
    def build():
        region = make_region()
        make_forums(region)
        moderator = make_member(region=region, role=Role.MODERATOR)
        staff = make_user(staff=True, mfa=True)
        people.suspend(actor=staff, user=moderator, region=region, reason="Even pauze",
                       ends_at=timezone.now() + timedelta(days=3))
        return region, moderator

    region, moderator = await sync_to_async(build)()
    socket = make_communicator(f"/ws/moderation/{region.pk}/",
                               session_key=await session_for(moderator))
    await socket.connect()
    output = await socket.receive_output(timeout=2)
    assert output["type"] == "websocket.close" and output["code"] == 4404
    await socket.wait()

