"""Every role × audience × status, against both the list filters and the object checks."""

from itertools import product

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.mfa import MFARequired
from events import permissions, services
from events.models import Meeting
from regions.models import Role
from tests.events.conftest import make_meeting, start_in_the_past
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "non_member", "invited", "region_moderator",
         "other_moderator", "staff"]
AUDIENCES = ["open", "region", "invite"]
STATUSES = ["draft", "published", "cancelled"]
MANAGERS = {"region_moderator", "staff"}
AUDIENCE = {
    "open": {"member", "non_member", "invited", "region_moderator", "other_moderator", "staff"},
    "region": {"member", "region_moderator"},
    "invite": {"invited"},
}


def expected(role: str, audience: str, status: str) -> tuple[bool, bool, bool]:
    """(view, register, manage), the rules of events/permissions.py said once more."""
    manage = role in MANAGERS
    in_audience = role in AUDIENCE[audience] or (audience == "open" and role == "anonymous")
    view = manage or (status != "draft" and in_audience)
    register = status == "published" and in_audience and role != "anonymous"
    return view, register, manage


def _user(role: str, region, meeting_holder: dict):
    other = make_region()
    return {
        "anonymous": lambda: AnonymousUser(),
        "member": lambda: make_member(region=region),
        "non_member": lambda: make_user(),
        "invited": lambda: meeting_holder.setdefault("invited", make_user()),
        "region_moderator": lambda: make_member(region=region, role=Role.MODERATOR),
        "other_moderator": lambda: make_member(region=other, role=Role.MODERATOR),
        "staff": lambda: make_user(staff=True, mfa=True),
    }[role]()


def _meeting(audience: str, status: str, region) -> tuple[Meeting, object]:
    staff = make_user(staff=True, mfa=True)
    meeting = make_meeting(organiser=staff, region=region, audience=audience,
                           publish=status != "draft")
    invited = make_user()
    services.invite(actor=staff, meeting=meeting, user=invited)
    if status == "cancelled":
        meeting = services.cancel_meeting(actor=staff, meeting=meeting, reason="Te weinig animo")
    return meeting, invited


@pytest.mark.parametrize("role,audience,status", list(product(ROLES, AUDIENCES, STATUSES)))
def test_meeting_permission_matrix(role, audience, status):
    region = make_region()
    meeting, invited = _meeting(audience, status, region)
    user = _user(role, region, {"invited": invited})
    view, register, manage = expected(role, audience, status)
    only_this = Meeting.objects.filter(pk=meeting.pk)

    assert permissions.can_view(user, meeting) is view
    assert permissions.visible_meetings(user, only_this).exists() is view
    assert permissions.can_register(user, meeting) is register
    assert permissions.can_manage(user, meeting) is manage
    assert permissions.manageable_meetings(user, only_this).exists() is manage


@pytest.mark.parametrize("role,manage", [("region_moderator", False), ("staff", True),
                                         ("member", False)])
def test_programme_wide_meetings_are_organised_by_staff_alone(role, manage):
    region = make_region()
    meeting = make_meeting(region=None)
    user = _user(role, region, {})
    assert permissions.can_manage(user, meeting) is manage
    assert permissions.manageable_meetings(user, Meeting.objects.all()).exists() is manage
    assert permissions.can_create(user, None) is manage
    assert permissions.can_view(user, meeting)


def test_a_past_meeting_is_seen_but_no_longer_registered_for():
    meeting = start_in_the_past(make_meeting(), hours_ago=6, hours=2)
    member = make_user()
    assert permissions.can_view(member, meeting)
    assert not permissions.can_register(member, meeting)


def test_a_moderator_without_a_second_factor_holds_the_role_but_is_sent_to_set_it_up():
    region = make_region()
    moderator = make_member(region=region, user=make_user(), role=Role.MODERATOR)
    draft = make_meeting(region=region, publish=False)
    assert permissions.holds_organiser_role(moderator, region)
    assert not permissions.can_manage(moderator, draft)
    assert not permissions.can_view(moderator, draft)
    assert not permissions.visible_meetings(moderator, Meeting.objects.all()).exists()
    with pytest.raises(MFARequired):
        permissions.require_manage(moderator, draft)
    with pytest.raises(MFARequired):
        services.create_meeting(actor=moderator, region=region, title="Zonder tweede factor",
                                starts_at=draft.starts_at, ends_at=draft.ends_at)
    assert Meeting.objects.count() == 1


def test_a_member_asking_to_organise_gets_a_plain_refusal_not_the_mfa_set_up():
    region = make_region()
    member = make_member(region=region)
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_create(member, region)
    assert not isinstance(refused.value, MFARequired)


def test_a_moderator_suspended_in_their_region_does_not_organise_its_meetings_meanwhile():
    from datetime import timedelta

    from moderation import people as moderation_services
    from moderation import permissions as moderation_permissions

    region = make_region()
    moderator = make_member(region=region, role=Role.MODERATOR)
    draft = make_meeting(region=region, publish=False)
    assert permissions.can_manage(moderator, draft)
    moderation_services.suspend(actor=make_user(staff=True, mfa=True), user=moderator,
                                region=region, reason="Even pauze",
                                ends_at=timezone.now() + timedelta(days=3))
    moderation_permissions.forget_suspensions(moderator)
    assert not permissions.can_manage(moderator, draft)
    assert not permissions.manageable_meetings(moderator, Meeting.objects.all()).exists()
    assert not permissions.can_view(moderator, draft)
    with pytest.raises(PermissionDenied):
        services.publish_meeting(actor=moderator, meeting=draft)
    draft.refresh_from_db()
    assert draft.status == Meeting.Status.DRAFT


def test_the_online_link_is_for_participants_with_a_place_and_organisers():
    region = make_region()
    moderator = make_member(region=region, role=Role.MODERATOR)
    meeting = make_meeting(organiser=moderator, region=region, capacity=1,
                           online_url="https://meet.example.nl/zegveld")
    first, second, onlooker = make_user(), make_user(), make_user()
    services.register(actor=first, meeting=meeting)
    services.register(actor=second, meeting=meeting)  # waiting list
    assert permissions.can_view_online_link(first, meeting)
    assert not permissions.can_view_online_link(second, meeting)
    assert not permissions.can_view_online_link(onlooker, meeting)
    assert not permissions.can_view_online_link(AnonymousUser(), meeting)
    assert permissions.can_view_online_link(moderator, meeting)


def test_the_participant_list_is_for_participants_and_the_regions_members():
    region = make_region()
    meeting = make_meeting(region=region)
    participant, member, outsider = make_user(), make_member(region=region), make_user()
    services.register(actor=participant, meeting=meeting)
    assert permissions.can_view_participants(participant, meeting)
    assert permissions.can_view_participants(member, meeting)
    assert not permissions.can_view_participants(outsider, meeting)
    assert not permissions.can_view_participants(AnonymousUser(), meeting)
    programme_wide = make_meeting(region=None)
    assert not permissions.can_view_participants(member, programme_wide)
