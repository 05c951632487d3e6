"""The one seam through which a higher app comes into the forums' and regions' rules:
settings.PARTICIPATION_ADAPTER. Without it nobody is held back; with it, the named class
decides, for forums and regions alike; a class of the wrong kind is refused at once."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from forums import permissions
from forums.models import Forum
from moderation.adapter import ModerationParticipation
from moderation.models import Suspension
from regions import permissions as region_permissions
from regions.models import Role
from tests.factories import make_forums, make_member, make_region, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def reload_adapter():
    """Loaded once per process: a test that changes the setting loads it again, before and
    after."""
    def reload():
        permissions.participation.cache_clear()
        region_permissions.participation.cache_clear()
    reload()
    yield reload
    reload()


class Barred(permissions.ParticipationAdapter):
    """Everyone is barred with a reason, every post waits, every moderator is paused."""

    def barred(self, user, region_id):
        return "Nee"

    def must_wait(self, user, forum):
        return True

    def moderator_paused(self, user, region_id):
        return True


@pytest.fixture
def region_and_forum():
    region = make_region(name="Regio Oost")
    return region, make_forums(region)[0]


def test_the_site_names_moderations_adapter():
    assert isinstance(permissions.participation(), ModerationParticipation)
    assert isinstance(region_permissions.participation(), ModerationParticipation)


def test_without_the_setting_nobody_is_held_back(settings, reload_adapter, region_and_forum):
    region, forum = region_and_forum
    del settings.PARTICIPATION_ADAPTER
    reload_adapter()
    assert type(permissions.participation()) is permissions.ParticipationAdapter
    assert type(region_permissions.participation()) is region_permissions.ParticipationAdapter
    member = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    # Suspended, but nothing asks moderation: the forums' own rules alone decide.
    Suspension.objects.create(user=member, region=region, reason="Rust", created_by=moderator,
                              ends_at=timezone.now() + timedelta(days=1))
    Suspension.objects.create(user=moderator, region=region, reason="Rust",
                              created_by=make_user(staff=True),
                              ends_at=timezone.now() + timedelta(days=1))
    assert permissions.can_take_part(member, forum)
    assert permissions.participation_barred(member, forum) is None
    assert not permissions.must_wait_for_approval(member, forum)
    assert permissions.is_moderator(moderator, forum)
    assert region_permissions.holds_moderator_role(moderator, region)
    permissions.reset_participation_cache(member)  # nothing to forget, and no error


def test_the_adapter_named_in_settings_decides_for_forums_and_regions(
        settings, reload_adapter, region_and_forum):
    region, forum = region_and_forum
    settings.PARTICIPATION_ADAPTER = f"{__name__}.Barred"
    reload_adapter()
    member = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    assert permissions.participation_barred(member, forum) == "Nee"
    assert not permissions.can_take_part(member, forum)
    assert permissions.must_wait_for_approval(member, forum)
    assert not permissions.is_moderator(moderator, forum)
    assert not region_permissions.holds_moderator_role(moderator, region)
    assert not region_permissions.manageable_regions(moderator, type(region).objects.all())


def test_an_adapter_of_the_wrong_kind_is_refused(settings, reload_adapter):
    settings.PARTICIPATION_ADAPTER = "regions.permissions.ParticipationAdapter"
    reload_adapter()
    assert isinstance(region_permissions.participation(), region_permissions.ParticipationAdapter)
    with pytest.raises(ImproperlyConfigured):
        permissions.participation()  # forums asks more than regions' adapter answers


def test_staff_are_never_paused_as_moderators(settings, reload_adapter, region_and_forum):
    _region, forum = region_and_forum
    settings.PARTICIPATION_ADAPTER = f"{__name__}.Barred"
    reload_adapter()
    staff = make_user(staff=True, mfa=True)
    assert permissions.is_moderator(staff, forum)
    assert permissions.is_moderator(staff, Forum(region=None, slug="landelijk"))
