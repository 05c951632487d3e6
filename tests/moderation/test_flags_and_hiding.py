"""Flags, the threshold, hiding and restoring: what each reader sees, live and on pages."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from forums import search
from forums.models import ThreadEvent
from moderation import posts
from moderation.models import AuditEntry, Flag, RegionModerationSettings
from regions.models import Role
from tests.factories import make_member

SECRET = "06-12345678"


def _flaggers(world, n):
    return [make_member(region=world.region) for _ in range(n)]


def test_three_distinct_flags_hide_the_post_pending_review(world, broadcasts,
                                                          django_capture_on_commit_callbacks):
    first, second, third = _flaggers(world, 3)
    with django_capture_on_commit_callbacks(execute=True):
        posts.flag_post(actor=first, post=world.post, reason=Flag.Reason.PRIVACY)
        posts.flag_post(actor=second, post=world.post, reason=Flag.Reason.SPAM)
    assert not world.fresh(world.post).is_hidden
    with django_capture_on_commit_callbacks(execute=True):
        posts.flag_post(actor=third, post=world.post, reason=Flag.Reason.OTHER,
                        text="Telefoonnummer")
    post = world.fresh(world.post)
    assert post.is_hidden and post.hidden_by is None
    assert "3" in post.hidden_reason
    event = ThreadEvent.objects.filter(thread=world.thread).last()
    assert event.type == "post.hidden" and SECRET not in event.payload["html"]
    assert (f"thread.{world.thread.pk}", {"type": "thread.event",
                                          "event": event.as_message()}) in broadcasts
    assert (f"moderation.{world.region.pk}",
            {"type": "queue.changed", "region_id": world.region.pk}) in broadcasts
    hidden = AuditEntry.objects.get(action="post.hidden")
    assert hidden.actor is None and hidden.region == world.region


def test_one_flag_per_member_per_post(world):
    posts.flag_post(actor=world.member, post=world.post, reason=Flag.Reason.SPAM)
    with pytest.raises(ValidationError):
        posts.flag_post(actor=world.member, post=world.post, reason=Flag.Reason.SPAM)
    assert Flag.objects.count() == 1


def test_the_threshold_is_per_region(world):
    RegionModerationSettings.objects.create(region=world.region, flag_threshold=1)
    posts.flag_post(actor=world.member, post=world.post, reason=Flag.Reason.SPAM)
    assert world.fresh(world.post).is_hidden


def test_a_moderators_flag_hides_at_once(world):
    posts.flag_post(actor=world.moderator, post=world.post, reason=Flag.Reason.PRIVACY)
    post = world.fresh(world.post)
    assert post.is_hidden and post.hidden_by == world.moderator


@pytest.mark.parametrize("who", ["author", "outsider", "other_moderator"])
def test_who_may_not_flag(world, who):
    with pytest.raises(PermissionDenied):
        posts.flag_post(actor=getattr(world, who), post=world.post, reason=Flag.Reason.SPAM)
    assert not Flag.objects.exists()


def test_something_else_needs_an_explanation(world, client):
    client.force_login(world.member)
    url = reverse("moderation:flag", args=[world.post.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "other", "text": "  "})
    assert response.status_code == 400
    assert "what is wrong" in response.content.decode().lower() or \
        "wat er mis is" in response.content.decode().lower()
    response = client.post(url, {"reason": "bogus"})
    assert response.status_code == 400
    # Nothing is preselected: pressing the button without choosing flags nothing.
    page = client.get(url).content.decode()
    assert '<option value="" selected>' in page
    response = client.post(url, {"reason": "", "text": "Dit klopt niet"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Kies een van de redenen." in html and "Dit klopt niet" in html
    assert not Flag.objects.exists()
    response = client.post(url, {"reason": "other", "text": "Reclame"})
    assert response.status_code == 302
    assert Flag.objects.get().text == "Reclame"


def _hide(world):
    posts.hide_post(actor=world.moderator, post=world.post, reason="Telefoonnummer van Piet")


@pytest.mark.parametrize("who", [None, "member", "outsider", "author", "moderator", "staff"])
def test_the_shared_thread_page_never_holds_hidden_text(world, client, who):
    _hide(world)
    if who:
        client.force_login(getattr(world, who))
    page = client.get(world.thread.get_absolute_url(), {"page": 1}).content.decode()
    assert SECRET not in page
    assert "Telefoonnummer van Piet" not in page  # the reason is not in the shared fragment
    assert reverse("moderation:post", args=[world.post.pk]) in page


@pytest.mark.parametrize("who, text, reason", [
    (None, False, False), ("member", False, False), ("outsider", False, False),
    ("author", True, True), ("moderator", True, True), ("staff", True, True),
    ("other_moderator", False, False),
])
def test_the_hidden_posts_own_page(world, client, who, text, reason):
    _hide(world)
    if who:
        client.force_login(getattr(world, who))
    response = client.get(reverse("moderation:post", args=[world.post.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert (SECRET in page) is text
    assert ("Telefoonnummer van Piet" in page) is reason


def test_a_hidden_posts_address_shows_the_notice(world, client):
    _hide(world)
    client.force_login(world.member)
    response = client.get(world.post.get_absolute_url(), follow=True)
    assert response.status_code == 200
    assert SECRET not in response.content.decode()


def test_hidden_posts_leave_search_profiles_quotes_and_reactions(world, client):
    assert search.search(viewer=world.member, query="groet Piet").total == 1
    _hide(world)
    assert search.search(viewer=world.member, query="groet Piet").total == 0
    client.force_login(world.member)
    profile = client.get(reverse("accounts:profile", args=[world.author.username]))
    assert SECRET not in profile.content.decode()
    quoted = client.get(world.thread.get_absolute_url(), {"page": 1, "quote": world.post.pk})
    assert SECRET not in quoted.content.decode()
    react = client.get(reverse("forums:react", args=[world.post.pk]), {"kind": "agree"})
    assert react.status_code == 403
    client.force_login(world.author)
    edit = client.get(reverse("forums:edit_post", args=[world.post.pk]))
    assert edit.status_code == 403  # the author waits for the decision


def test_replay_of_older_events_no_longer_holds_the_text(world):
    _hide(world)
    for event in ThreadEvent.objects.filter(thread=world.thread,
                                            payload__post_id=world.post.pk):
        assert SECRET not in event.payload["html"]


def test_restore_brings_the_post_back_everywhere(world, broadcasts, authors_told,
                                                 django_capture_on_commit_callbacks):
    _hide(world)
    with django_capture_on_commit_callbacks(execute=True):
        posts.restore_post(actor=world.moderator, post=world.post, reason="Na overleg")
    post = world.fresh(world.post)
    assert not post.is_hidden and post.hidden_reason == ""
    assert search.search(viewer=world.member, query="groet Piet").total == 1
    event = ThreadEvent.objects.filter(thread=world.thread).last()
    assert event.type == "post.restored"
    assert all(SECRET in html for html in event.payload["html"].values())  # every language
    assert [s["action"] for s in authors_told] == ["restored"]
    assert authors_told[0]["recipient"] == world.author
    assert authors_told[0]["reason"] == "Na overleg"


def test_hiding_sends_the_author_the_reason_after_commit(world, authors_told,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _hide(world)
    assert authors_told == []  # nothing before commit
    for callback in callbacks:
        callback()
    [sent] = authors_told
    assert sent["action"] == "hidden" and sent["recipient"] == world.author
    assert sent["actor"] == world.moderator and sent["post"].pk == world.post.pk
    assert sent["reason"] == "Telefoonnummer van Piet" and sent["region"] == world.region
    assert sent["thread"].pk == world.thread.pk


def test_a_reason_is_required_to_hide(world):
    with pytest.raises(ValidationError):
        posts.hide_post(actor=world.moderator, post=world.post, reason="   ")
    assert not world.fresh(world.post).is_hidden


def test_dismissing_flags_restores_a_post_the_flags_hid(world):
    RegionModerationSettings.objects.create(region=world.region, flag_threshold=1)
    posts.flag_post(actor=world.member, post=world.post, reason=Flag.Reason.SPAM)
    assert world.fresh(world.post).is_hidden
    posts.dismiss_flags(actor=world.moderator, post=world.post, reason="Geen spam")
    assert not world.fresh(world.post).is_hidden
    assert not Flag.objects.filter(is_open=True).exists()
    assert AuditEntry.objects.filter(action="flags.dismissed").exists()


def test_settings_page_changes_the_threshold_and_is_audited(world, client):
    client.force_login(world.moderator)
    url = reverse("moderation:settings", args=[world.region.slug])
    assert client.get(url).status_code == 200
    assert client.post(url, {"flag_threshold": "0", "approval_posts": "1"}).status_code == 200
    assert client.post(url, {"flag_threshold": "2", "approval_posts": "0"}).status_code == 302
    assert RegionModerationSettings.objects.get(region=world.region).flag_threshold == 2
    entry = AuditEntry.objects.get(action="settings.changed")
    assert entry.before["flag_threshold"] == 3 and entry.after["flag_threshold"] == 2
    client.force_login(world.other_moderator)
    assert client.post(url, {"flag_threshold": "9", "approval_posts": "0"}).status_code == 403
    client.force_login(make_member(region=world.region, role=Role.MEMBER))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("language, done", [("en", "The post is hidden."),
                                            ("nl", "Het bericht is verborgen.")])
def test_the_outcome_of_a_post_action_is_told_in_the_moderators_language(world, client,
                                                                         language, done):
    client.force_login(world.moderator)
    client.cookies["django_language"] = language
    response = client.post(reverse("moderation:post_action", args=[world.post.pk]),
                           {"action": "hide", "reason": "Reclame"}, follow=True)
    assert world.fresh(world.post).is_hidden
    assert done in response.content.decode()
