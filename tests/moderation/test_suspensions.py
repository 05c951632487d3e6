"""Suspensions and warnings: a suspended member reads but cannot post, react or flag, and is
told why and until when wherever they try; it ends by itself, or earlier when lifted."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from forums import services as forum_services
from forums.models import Post, Thread
from moderation import people
from moderation.models import AuditEntry, MemberWarning, Suspension

REASON = "Herhaaldelijk persoonsgegevens van collega gedeeld"


def _suspend(world, *, region="region", days=7, actor="moderator"):
    return people.suspend(
        actor=getattr(world, actor), user=world.member,
        region=getattr(world, region) if region else None, reason=REASON,
        ends_at=timezone.now() + timedelta(days=days) if days else None)


def _blocked_pages(client, world):
    """Every entry point where a member writes, with what it returns."""
    forum = world.thread.forum
    return {
        "reply": client.post(reverse("forums:reply", args=[world.thread.pk]),
                             {"body": "Mag ik nog iets zeggen?"}),
        "new thread (form)": client.get(reverse("forums:new_thread", args=[forum.pk])),
        "new thread": client.post(reverse("forums:new_thread", args=[forum.pk]),
                                  {"title": "Nieuw", "body": "Tekst", "kind": "discussion"}),
        "react": client.post(reverse("forums:react", args=[world.post.pk]), {"kind": "agree"}),
        "react (confirm)": client.get(reverse("forums:react", args=[world.post.pk]),
                                      {"kind": "agree"}),
        "flag": client.get(reverse("moderation:flag", args=[world.post.pk])),
    }


def test_a_suspended_member_reads_but_cannot_write_and_sees_why_and_until(world, client):
    suspension = _suspend(world)
    client.force_login(world.member)
    thread_page = client.get(world.thread.get_absolute_url(), {"page": 1})
    assert thread_page.status_code == 200
    text = thread_page.content.decode()
    assert REASON in text and 'action="/onderwerp/' not in text.split('id="reply"')[1]
    for name, response in _blocked_pages(client, world).items():
        assert response.status_code == 403, name
        page = response.content.decode()
        assert REASON in page, name
        assert timezone.localtime(suspension.ends_at).strftime("%Y") in page, name
    assert Post.objects.filter(author=world.member).count() == 0
    assert Thread.objects.filter(author=world.member).count() == 0


def test_services_refuse_a_suspended_member_too(world):
    _suspend(world)
    with pytest.raises(PermissionDenied):
        forum_services.create_post(actor=world.member, thread=world.thread, body="Toch?")
    with pytest.raises(PermissionDenied):
        forum_services.toggle_reaction(actor=world.member, post=world.post, kind="agree")


def test_a_region_suspension_leaves_other_regions_alone(world):
    from tests.factories import make_forums, make_thread

    _suspend(world)
    other_forum = world.other_region.forums.get(slug="vragen-en-antwoorden")
    from regions.models import Membership

    Membership.objects.create(user=world.member, region=world.other_region)
    elsewhere = make_thread(forum=other_forum, author=world.other_moderator)
    assert forum_services.create_post(actor=world.member, thread=elsewhere, body="Hier wel")
    assert make_forums  # the factory module is the one the world uses


def test_site_wide_and_indefinite_are_for_staff_only(world):
    with pytest.raises(PermissionDenied):
        _suspend(world, region=None)
    with pytest.raises(PermissionDenied):
        _suspend(world, days=None)
    assert not Suspension.objects.exists()
    assert AuditEntry.objects.filter(result="denied", action="user.suspended").count() == 2
    _suspend(world, region=None, days=None, actor="staff")
    with pytest.raises(PermissionDenied):
        forum_services.create_post(actor=world.member, thread=world.thread, body="Toch?")


@pytest.mark.parametrize("who", ["other_moderator", "author", "member"])
def test_who_may_not_suspend(world, who):
    target = world.author if who == "member" else world.member
    with pytest.raises(PermissionDenied):
        people.suspend(actor=getattr(world, who), user=target, region=world.region,
                       reason="x", ends_at=timezone.now() + timedelta(days=1))
    assert not Suspension.objects.exists()


def test_moderators_cannot_suspend_staff_or_themselves(world):
    for target in (world.staff, world.moderator):
        with pytest.raises(PermissionDenied):
            people.suspend(actor=world.moderator, user=target, region=world.region,
                           reason="x", ends_at=timezone.now() + timedelta(days=1))


def test_a_suspension_ends_by_itself(world):
    suspension = _suspend(world)
    Suspension.objects.filter(pk=suspension.pk).update(
        ends_at=timezone.now() - timedelta(seconds=1))
    from moderation import permissions

    permissions.forget_suspensions(world.member)
    post = forum_services.create_post(actor=world.member, thread=world.thread, body="Terug!")
    assert post.pk


def test_lifting_early_restores_rights_and_is_audited(world, authors_told,
                                                      django_capture_on_commit_callbacks):
    suspension = _suspend(world)
    with django_capture_on_commit_callbacks(execute=True):
        people.lift_suspension(actor=world.moderator, suspension=suspension, reason="Excuses")
    assert forum_services.create_post(actor=world.member, thread=world.thread, body="Dank")
    assert AuditEntry.objects.filter(action="user.unsuspended", reason="Excuses").exists()
    assert [s["action"] for s in authors_told] == ["unsuspended"]
    with pytest.raises(Exception):  # noqa: B017 - a second lift is a clear validation error
        people.lift_suspension(actor=world.moderator, suspension=suspension)


def test_the_member_page_suspends_lifts_and_warns(world, client, authors_told,
                                                 django_capture_on_commit_callbacks):
    client.force_login(world.moderator)
    url = reverse("moderation:member", args=[world.member.username])
    assert client.get(url).status_code == 200
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(url, {"action": "suspend", "suspend-region": "",
                                 "suspend-reason": REASON, "suspend-until": tomorrow})
    assert response.status_code == 400  # site-wide is not a choice for a region moderator
    response = client.post(url, {"action": "suspend", "suspend-region": world.region.slug,
                                 "suspend-reason": REASON, "suspend-until": ""})
    assert response.status_code == 403  # indefinite: staff only
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "suspend", "suspend-region": world.region.slug,
                                     "suspend-reason": REASON, "suspend-until": tomorrow})
    assert response.status_code == 302
    suspension = Suspension.objects.get()
    assert suspension.region == world.region and suspension.ends_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "warn", "warn-region": world.region.slug,
                                     "warn-message": "Let op: geen telefoonnummers."})
    assert response.status_code == 302
    assert MemberWarning.objects.get().message == "Let op: geen telefoonnummers."
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("moderation:lift", args=[suspension.pk]),
                               {"reason": "Opgelost"})
    assert response.status_code == 302
    assert Suspension.objects.get().lifted_at is not None
    assert [s["action"] for s in authors_told] == ["suspended", "warned", "unsuspended"]
    assert all(s["recipient"] == world.member for s in authors_told)
    client.force_login(world.member)
    mine = client.get(reverse("moderation:my_standing")).content.decode()
    assert "Let op: geen telefoonnummers." in mine and REASON in mine
    assert client.get(url).status_code == 403  # members cannot use the moderators' page


def test_a_region_moderator_cannot_lift_a_staff_suspension(world, client):
    suspension = _suspend(world, region=None, days=None, actor="staff")
    client.force_login(world.moderator)
    response = client.post(reverse("moderation:lift", args=[suspension.pk]))
    assert response.status_code == 403
    assert Suspension.objects.get().lifted_at is None
