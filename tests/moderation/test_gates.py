"""The gates of the moderation pages (moderation.permissions.require_*): a moderator without a
second factor gets MFARequired (the middleware sends them to set it up, with the reason),
anyone else PermissionDenied; a moderator suspended in the region sees why instead. And the
member page: one view per action behind its one address."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from accounts.mfa import MFARequired
from moderation import people, permissions, selectors
from moderation.models import MemberWarning, Suspension, Vouch
from regions.models import Role
from tests.factories import make_member, make_user

pytestmark = pytest.mark.django_db

MFA_MESSAGE = "Moderators must use two-factor authentication. Set it up to use moderator powers."


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def _dutch(message: str) -> str:
    """What the pages (Dutch first) say."""
    with translation.override("nl"):
        return translation.gettext(message)


@pytest.fixture
def no_mfa(world):
    return make_member(region=world.region, role=Role.MODERATOR, user=make_user())


def _gates(world):
    return {
        "region": lambda user: permissions.require_moderate(user, world.region),
        "post": lambda user: permissions.require_moderate_post(user, world.post),
        "thread": lambda user: permissions.require_moderate_thread(user, world.thread),
        "audit": lambda user: permissions.require_view_audit(user, world.region),
        "any queue": permissions.require_moderator_mfa,
        "members": lambda user: permissions.require_moderate_anywhere(
            user, selectors.list_moderated_regions(viewer=user)),
        "hidden post": lambda user: permissions.moderates_post(user, world.post),
    }


@pytest.mark.parametrize("gate", ["region", "post", "thread", "audit", "any queue", "members",
                                  "hidden post"])
def test_a_moderator_without_mfa_is_asked_for_it(world, no_mfa, gate):
    with pytest.raises(MFARequired) as raised:
        _gates(world)[gate](no_mfa)
    assert str(raised.value) == MFA_MESSAGE


@pytest.mark.parametrize(("gate", "who"), [
    ("region", "member"), ("post", "member"), ("thread", "member"), ("audit", "member"),
    ("members", "member"), ("region", "other_moderator"), ("post", "other_moderator"),
    ("thread", "other_moderator"), ("audit", "other_moderator")])
def test_others_are_refused_without_being_asked_for_mfa(world, gate, who):
    with pytest.raises(PermissionDenied) as raised:
        _gates(world)[gate](getattr(world, who))
    assert not isinstance(raised.value, MFARequired)


def test_members_pass_the_gates_that_only_catch_moderators_without_mfa(world):
    permissions.require_moderator_mfa(world.member)
    assert permissions.moderates_post(world.member, world.post) is False
    assert permissions.moderates_post(world.moderator, world.post) is True


@pytest.mark.parametrize("gate", ["region", "post", "thread", "audit", "any queue", "members",
                                  "hidden post"])
def test_moderators_with_mfa_pass(world, gate):
    _gates(world)[gate](world.moderator)


def test_a_moderator_suspended_in_the_region_is_refused_and_told_why(world):
    people.suspend(actor=world.staff, user=world.moderator, region=world.region,
                   reason="Even pauze", ends_at=timezone.now() + timedelta(days=1))
    permissions.forget_suspensions(world.moderator)
    with pytest.raises(PermissionDenied) as raised:
        permissions.require_moderate(world.moderator, world.region)
    assert not isinstance(raised.value, MFARequired)
    assert world.moderator._moderation_barred_by["reason"] == "Even pauze"  # for the 403 page


def test_vouching_is_its_own_rule(world):
    assert permissions.can_vouch(world.moderator, world.member, world.region)
    assert not permissions.can_vouch(world.moderator, world.moderator, world.region)  # oneself
    assert not permissions.can_vouch(world.other_moderator, world.member, world.region)
    assert not permissions.can_vouch(world.member, world.author, world.region)


def test_the_mfa_redirect_carries_the_message_and_the_way_back(world, client, no_mfa):
    client.force_login(no_mfa)
    url = reverse("moderation:thread", args=[world.thread.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("mfa_activate_totp"))
    assert "next=%2Fmoderatie%2Fonderwerp%2F" in response.url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [_dutch(MFA_MESSAGE)]


def test_a_suspended_member_without_mfa_is_still_sent_to_set_it_up(world, client, no_mfa):
    """The suspension page answers refusals; a missing second factor is not one."""
    people.suspend(actor=world.staff, user=no_mfa, region=world.other_region,
                   reason="Elders", ends_at=timezone.now() + timedelta(days=1))
    client.force_login(no_mfa)
    response = client.get(reverse("moderation:region_queue", args=[world.region.slug]))
    assert response.status_code == 302 and reverse("mfa_activate_totp") in response.url


# --- The member page ---------------------------------------------------------------------------

def _member_url(world):
    return reverse("moderation:member", args=[world.member.username])


def test_an_unknown_action_on_the_member_page_changes_nothing(world, client):
    client.force_login(world.moderator)
    response = client.post(_member_url(world), {"action": "ban"})
    assert response.status_code == 400
    assert _dutch("Unknown action.") in [str(m) for m in response.context["messages"]]
    assert not Suspension.objects.exists() and not MemberWarning.objects.exists()


@pytest.mark.parametrize("action", ["warn", "vouch", "unvouch"])
def test_an_action_for_a_region_one_does_not_moderate_changes_nothing(world, client, action):
    client.force_login(world.moderator)
    response = client.post(_member_url(world), {
        "action": action, "warn-region": world.other_region.slug,
        "vouch-region": world.other_region.slug, "warn-message": "Let op."})
    assert response.status_code == 400
    assert _dutch("Choose one of your regions.") in [
        str(m) for m in response.context["messages"]]
    assert not MemberWarning.objects.exists() and not Vouch.objects.exists()


def test_vouching_and_withdrawing_it_from_the_member_page(world, client):
    client.force_login(world.moderator)
    data = {"action": "vouch", "vouch-region": world.region.slug}
    assert client.post(_member_url(world), data).status_code == 302
    assert Vouch.objects.filter(user=world.member, region=world.region).exists()
    assert client.post(_member_url(world), data).status_code == 400  # vouched already
    data["action"] = "unvouch"
    assert client.post(_member_url(world), data).status_code == 302
    assert not Vouch.objects.exists()
    assert client.post(_member_url(world), data).status_code == 400  # nothing to withdraw
