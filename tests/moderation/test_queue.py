"""The review queue: what it lists for whom, its actions for every role, the header count,
forged forms, and the live doorbell on /ws/moderation/."""

import pytest
from django.test import Client
from django.urls import reverse

from forums.models import Post, ThreadEvent
from moderation import people, posts
from moderation.models import AuditEntry, Flag, Suspension
from regions.models import MembershipRequest, Role
from tests.conftest import page_queries
from tests.factories import make_member, make_user

SECRET = "06-12345678"


def _flag(world, n=1):
    for _ in range(n):
        posts.flag_post(actor=make_member(region=world.region), post=world.post,
                        reason=Flag.Reason.PRIVACY, text="Nummer")


@pytest.mark.parametrize("who, status", [
    ("moderator", 200), ("staff", 200), ("other_moderator", 403), ("member", 403),
    ("author", 403),
])
def test_region_queue_lists_flagged_posts_with_reasons_and_flaggers(world, client, who, status):
    _flag(world, 2)
    client.force_login(getattr(world, who))
    response = client.get(reverse("moderation:region_queue", args=[world.region.slug]))
    assert response.status_code == status
    if status == 200:
        page = response.content.decode()
        assert SECRET in page and "Nummer" in page
        for flag in Flag.objects.select_related("user__profile"):
            assert flag.user.display_name in page


def test_queue_lists_membership_requests_of_the_region_only(world, client):
    closed = world.region
    closed.is_open = False
    closed.save()
    MembershipRequest.objects.create(user=make_user(display_name="Wachtende Wim"), region=closed)
    MembershipRequest.objects.create(user=make_user(display_name="Elders Els"),
                                     region=world.other_region)
    client.force_login(world.moderator)
    page = client.get(reverse("moderation:region_queue", args=[closed.slug])).content.decode()
    assert "Wachtende Wim" in page and "Elders Els" not in page
    client.force_login(world.staff)
    page = client.get(reverse("moderation:queue")).content.decode()
    assert "Wachtende Wim" in page and "Elders Els" in page


def test_combined_queue_sends_region_moderators_to_theirs(world, client):
    client.force_login(world.moderator)
    response = client.get(reverse("moderation:queue"))
    assert response.status_code == 302
    assert response.url == reverse("moderation:region_queue", args=[world.region.slug])
    client.force_login(world.member)
    assert client.get(reverse("moderation:queue")).status_code == 403


def test_moderator_without_mfa_is_sent_to_set_it_up_before_any_action(world, client):
    no_mfa = make_member(region=world.region, role=Role.MODERATOR, user=make_user())
    client.force_login(no_mfa)
    for response in (
        client.get(reverse("moderation:region_queue", args=[world.region.slug])),
        client.get(reverse("moderation:queue")),
        client.post(reverse("moderation:post_action", args=[world.post.pk]),
                    {"action": "hide", "reason": "x"}),
        client.get(reverse("moderation:edit_post", args=[world.post.pk])),
    ):
        assert response.status_code == 302 and reverse("mfa_activate_totp") in response.url
    assert not world.fresh(world.post).is_hidden


def test_header_count_for_moderators_in_one_query(world, client, django_assert_num_queries):
    _flag(world, 1)
    MembershipRequest.objects.create(user=make_user(), region=world.region)
    MembershipRequest.objects.create(user=make_user(), region=world.other_region)
    client.force_login(world.moderator)
    page = client.get(reverse("home")).content.decode()
    assert 'data-queue-count>2<' in page
    client.force_login(world.staff)
    assert 'data-queue-count>3<' in client.get(reverse("home")).content.decode()
    client.force_login(world.member)
    assert "data-queue-count" not in client.get(reverse("home")).content.decode()
    from moderation import selectors

    moderator = type(world.moderator).objects.get(pk=world.moderator.pk)
    selectors.permissions.moderated_region_ids(moderator)  # roles and MFA: once per request
    with django_assert_num_queries(1):
        assert selectors.queue_count(viewer=moderator) == 2


def test_queue_page_queries_do_not_grow_with_the_queue(world, client):
    _flag(world, 1)
    client.force_login(world.moderator)
    url = reverse("moderation:region_queue", args=[world.region.slug])
    client.get(url)  # warms the cached bell count, so both counts below read it the same way
    few = page_queries(client, url)
    for _ in range(5):
        post = Post.objects.create(thread=world.thread, author=world.author,
                                   position=Post.objects.count() + 10, body="x", html="<p>x</p>")
        Flag.objects.create(post=post, user=make_member(region=world.region), reason="spam")
        MembershipRequest.objects.create(user=make_user(), region=world.region)
    assert page_queries(client, url) == few


# --- Actions × roles ---------------------------------------------------------------------------

ACTIONS = ["hide", "restore", "delete", "dismiss"]


def _prepare(world, action):
    if action in ("restore",):
        posts.hide_post(actor=world.moderator, post=world.post, reason="eerst verborgen")
    if action == "dismiss":
        _flag(world, 1)


def _state(world):
    post = Post.objects.get(pk=world.post.pk)
    return (post.is_hidden, post.is_deleted, Flag.objects.filter(is_open=True).count(),
            ThreadEvent.objects.filter(thread=world.thread).count())


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who, allowed", [
    ("moderator", True), ("staff", True), ("other_moderator", False), ("member", False),
    ("author", False), ("suspended", False),
])
def test_post_actions_by_role(world, client, broadcasts, action, who, allowed):
    _prepare(world, action)
    if who == "suspended":
        actor = make_member(region=world.region)
        Suspension.objects.create(user=actor, region=world.region, reason="Ruzie",
                                  created_by=world.staff)
    else:
        actor = getattr(world, who)
    before, sent_before = _state(world), len(broadcasts)
    client.force_login(actor)
    response = client.post(reverse("moderation:post_action", args=[world.post.pk]),
                           {"action": action, "reason": "Moderatie"})
    if allowed:
        assert response.status_code == 302
        assert _state(world) != before
        assert AuditEntry.objects.filter(actor=actor, result="success").exists()
    else:
        assert response.status_code == 403
        assert _state(world) == before
        assert len(broadcasts) == sent_before  # nothing broadcast


def test_forged_form_without_csrf_changes_nothing(world):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.moderator)
    response = strict.post(reverse("moderation:post_action", args=[world.post.pk]),
                           {"action": "hide", "reason": "x"})
    assert response.status_code == 403
    assert not world.fresh(world.post).is_hidden


def test_unknown_action_and_overlong_reason_are_clear_errors(world, client):
    client.force_login(world.moderator)
    url = reverse("moderation:post_action", args=[world.post.pk])
    response = client.post(url, {"action": "explode", "reason": "x"}, follow=True)
    assert response.status_code == 200
    response = client.post(url, {"action": "hide", "reason": "x" * 1001}, follow=True)
    assert response.status_code == 200 and not world.fresh(world.post).is_hidden
    response = client.post(url, {"action": "hide", "reason": ""}, follow=True)
    assert response.status_code == 200 and not world.fresh(world.post).is_hidden


def test_moderator_edit_keeps_history_shows_the_note_and_is_audited(world, client, authors_told,
                                                                    django_capture_on_commit_callbacks):
    client.force_login(world.moderator)
    url = reverse("moderation:edit_post", args=[world.post.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"body": "Bel me, groet Piet.", "note": ""})
    assert response.status_code == 200  # the note is required, the text kept
    assert "Bel me, groet Piet." in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"body": "Bel me, groet Piet.",
                                     "note": "Telefoonnummer verwijderd"})
    assert response.status_code == 302
    post = world.fresh(world.post)
    assert SECRET not in post.body and post.moderator_note == "Telefoonnummer verwijderd"
    assert post.revisions.get().body.endswith("groet Piet.") and SECRET in post.revisions.get().body
    page = client.get(world.thread.get_absolute_url(), {"page": 1}).content.decode()
    assert "Telefoonnummer verwijderd" in page and SECRET not in page
    entry = AuditEntry.objects.get(action="post.edited")
    assert SECRET in entry.before["body"] and SECRET not in entry.after["body"]
    assert [s["action"] for s in authors_told] == ["edited"]
    client.force_login(world.other_moderator)
    assert client.get(url).status_code == 403


def test_delete_from_the_queue_soft_deletes_and_notifies(world, authors_told,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        posts.delete_post(actor=world.staff, post=world.post, reason="Spam")
    assert world.fresh(world.post).is_deleted
    assert authors_told[0]["action"] == "deleted" and authors_told[0]["reason"] == "Spam"


def test_the_queue_fingerprint_moves_with_every_kind_of_item_and_only_in_its_regions(world):
    """What the queue socket compares at each ping (moderation/consumers.py): any item in or
    out of the region's queue changes it, another region's items do not."""
    from datetime import timedelta

    from django.utils import timezone

    from moderation import selectors
    from regions import services as region_services
    from tests.factories import make_post

    def fingerprint(region_ids=frozenset({world.region.pk})):
        return selectors.queue_fingerprint(
            region_ids=None if region_ids is None else set(region_ids))

    seen = [fingerprint()]

    def changed() -> bool:
        """Differs from what the socket last told (even if the queue is back to an earlier
        state: the page shows the last one)."""
        now = fingerprint()
        differs = now != seen[-1]
        seen.append(now)
        return differs

    _flag(world)
    assert changed()  # a flag
    _flag(world)
    assert changed()  # another flag on the same post
    posts.dismiss_flags(actor=world.moderator, post=world.post)
    assert changed()  # flags resolved
    world.region.is_open = False
    world.region.save(update_fields=["is_open"])
    region_services.request_membership(actor=make_user(), region=world.region)
    assert changed()  # a membership request
    people.suspend(actor=world.moderator, user=world.member, region=world.region,
                   reason="Afkoelen", ends_at=timezone.now() + timedelta(days=1))
    assert changed()  # a suspension
    waiting = make_post(thread=world.thread, author=world.author)
    Post.objects.filter(pk=waiting.pk).update(is_pending=True)
    assert changed()  # a post waiting for approval

    assert not changed()  # nothing happened

    others, everywhere = fingerprint({world.other_region.pk}), fingerprint(None)
    _flag(world)
    assert fingerprint({world.other_region.pk}) == others  # not their queue
    assert selectors.queue_fingerprint(region_ids=None) != everywhere  # staff see all
