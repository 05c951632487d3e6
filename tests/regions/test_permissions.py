import pytest
from django.contrib.auth.models import AnonymousUser

from regions import permissions
from regions.models import Role
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db


def _people(region):
    return {
        "anonymous": AnonymousUser(),
        "outsider": make_user(),
        "member": make_member(region=region),
        "reporter": make_member(region=region, role=Role.REPORTER),
        "moderator": make_member(region=region, role=Role.MODERATOR),
        "moderator_without_mfa": make_member(region=region, user=make_user(mfa=False),
                                             role=Role.MODERATOR),
        "staff": make_user(staff=True, mfa=True),
    }


# who: (view members, join open, request closed, leave, manage)
EXPECTED = {
    "anonymous": (False, False, False, False, False),
    "outsider": (False, True, True, False, False),
    "member": (True, False, False, True, False),
    "reporter": (True, False, False, True, False),
    "moderator": (True, False, False, True, True),
    "moderator_without_mfa": (True, False, False, True, False),
    "staff": (True, True, True, False, True),
}


@pytest.mark.parametrize("who", EXPECTED)
def test_region_permission_matrix(who):
    open_region = make_region(is_open=True)
    closed_region = make_region(is_open=False)
    people = _people(open_region)
    user = people[who]
    # The same people hold the same roles in the closed region, so both rules are comparable.
    if user.is_authenticated and who not in ("outsider", "staff"):
        make_member(region=closed_region, user=user, role=permissions.role_in(user, open_region))
        permissions.reset_cache(user)
    view, join, request, leave, manage = EXPECTED[who]
    assert permissions.can_view_members(user, open_region) is view
    assert permissions.can_join(user, open_region) is join
    assert permissions.can_join(user, closed_region) is False
    assert permissions.can_request_membership(user, closed_region) is request
    assert permissions.can_request_membership(user, open_region) is False
    assert permissions.can_leave(user, open_region) is leave
    assert permissions.can_manage_region(user, open_region) is manage
    assert (open_region in permissions.manageable_regions(
        user, open_region.__class__.objects.all())) is manage


def test_archived_regions_are_hidden_from_everyone_but_staff():
    region = make_region(is_archived=True)
    qs = region.__class__.objects.filter(pk=region.pk)
    member = make_member(region=region)
    staff = make_user(staff=True)
    assert not permissions.visible_regions(AnonymousUser(), qs).exists()
    assert not permissions.visible_regions(member, qs).exists()
    assert permissions.can_view_region(member, region) is False
    assert permissions.visible_regions(staff, qs).exists()
    assert permissions.can_view_region(staff, region) is True
    assert permissions.can_join(make_user(), region) is False


def test_a_moderator_of_one_region_cannot_manage_another():
    a, b = make_region(), make_region()
    moderator = make_member(region=a, role=Role.MODERATOR)
    assert permissions.can_manage_region(moderator, a)
    assert not permissions.can_manage_region(moderator, b)


def test_member_roles_cost_one_query_per_request(django_assert_num_queries):
    region = make_region()
    user = make_member(region=region)
    user = user.__class__.objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        for _ in range(5):
            permissions.is_member(user, region)
            permissions.role_in(user, region)
