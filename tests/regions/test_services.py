import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regions import services
from regions.models import Membership, MembershipRequest, Role
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db


def test_joining_an_open_region_makes_a_member():
    region, user = make_region(), make_user()
    membership = services.join_region(actor=user, region=region)
    assert membership.role == Role.MEMBER
    assert Membership.objects.filter(user=user, region=region).count() == 1


def test_a_closed_region_cannot_be_joined_directly():
    region, user = make_region(is_open=False), make_user()
    with pytest.raises(PermissionDenied):
        services.join_region(actor=user, region=region)
    assert not Membership.objects.exists()


def test_requesting_twice_keeps_one_pending_request():
    region, user = make_region(is_open=False), make_user()
    first = services.request_membership(actor=user, region=region, motivation="graag")
    second = services.request_membership(actor=user, region=region)
    assert first.pk == second.pk
    assert MembershipRequest.objects.filter(status="pending").count() == 1


def test_moderator_approves_a_request():
    region = make_region(is_open=False)
    moderator = make_member(region=region, role=Role.MODERATOR)
    applicant = make_user()
    req = services.request_membership(actor=applicant, region=region)
    services.decide_request(actor=moderator, request=req, approve=True)
    req.refresh_from_db()
    assert req.status == "approved" and req.decided_by == moderator
    assert Membership.objects.filter(user=applicant, region=region, role=Role.MEMBER).exists()


def test_moderator_declines_with_a_reason_and_cannot_decide_twice():
    region = make_region(is_open=False)
    moderator = make_member(region=region, role=Role.MODERATOR)
    req = services.request_membership(actor=make_user(), region=region)
    services.decide_request(actor=moderator, request=req, approve=False, reason="Alleen LNV")
    req.refresh_from_db()
    assert (req.status, req.reason) == ("declined", "Alleen LNV")
    with pytest.raises(ValidationError):
        services.decide_request(actor=moderator, request=req, approve=True)
    assert not Membership.objects.filter(user=req.user).exists()


@pytest.mark.parametrize("who", ["member", "other_moderator", "moderator_without_mfa"])
def test_only_this_regions_moderators_with_mfa_decide(who):
    region, other = make_region(is_open=False), make_region()
    actor = {
        "member": lambda: make_member(region=region),
        "other_moderator": lambda: make_member(region=other, role=Role.MODERATOR),
        "moderator_without_mfa": lambda: make_member(
            region=region, user=make_user(mfa=False), role=Role.MODERATOR),
    }[who]()
    req = services.request_membership(actor=make_user(), region=region)
    with pytest.raises(PermissionDenied):
        services.decide_request(actor=actor, request=req, approve=True)
    req.refresh_from_db()
    assert req.status == "pending"


def test_leaving_announces_the_revocation_after_commit(
    broadcasts, django_capture_on_commit_callbacks
):
    region = make_region()
    user = make_member(region=region)
    with django_capture_on_commit_callbacks(execute=True):
        services.leave_region(actor=user, region=region)
    assert not Membership.objects.filter(user=user).exists()
    assert broadcasts == [(f"user.{user.pk}", {"type": "membership.revoked",
                                               "region_id": region.pk})]


def test_moderator_changes_roles_but_not_their_own(broadcasts):
    region = make_region()
    moderator = make_member(region=region, role=Role.MODERATOR)
    member = make_member(region=region)
    membership = Membership.objects.get(user=member)
    services.change_role(actor=moderator, membership=membership, role=Role.REPORTER)
    assert Membership.objects.get(user=member).role == Role.REPORTER
    own = Membership.objects.get(user=moderator)
    with pytest.raises(PermissionDenied):
        services.change_role(actor=moderator, membership=own, role=Role.MEMBER)
    with pytest.raises(ValidationError):
        services.change_role(actor=moderator, membership=membership, role="emperor")


def test_refused_removal_changes_and_sends_nothing(broadcasts, django_capture_on_commit_callbacks):
    region = make_region()
    member = make_member(region=region)
    other_member = make_member(region=region)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.remove_member(actor=other_member,
                               membership=Membership.objects.get(user=member))
    assert Membership.objects.filter(user=member).exists()
    assert broadcasts == []
