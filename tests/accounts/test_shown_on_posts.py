"""accounts.signals.shown_on_posts_changed: sent after a save that changed what posts show
next to a person (SHOWN_FIELDS) or made the row, and after no other save."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Profile, User
from accounts.signals import shown_on_posts_changed
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    seen = []

    def record(sender, instance, **kwargs):
        seen.append((sender, instance.pk))

    shown_on_posts_changed.connect(record)
    yield seen
    shown_on_posts_changed.disconnect(record)


def test_a_new_person_is_announced(announced):
    user = make_user()
    assert (User, user.pk) in announced and (Profile, user.profile.pk) in announced


@pytest.mark.parametrize("field, value, expected", [
    ("display_name", "Nieuwe Naam", True),
    ("organisation", "Provincie Zuid", True),
    ("government_layer", "rijk", True),
    ("bio", "Over mij", False),
    ("job_title", "Adviseur", False),
])
def test_a_profile_save_is_announced_only_when_posts_show_the_change(announced, field, value,
                                                                     expected):
    profile = Profile.objects.get(pk=make_user().profile.pk)
    announced.clear()
    setattr(profile, field, value)
    profile.save()
    assert announced == ([(Profile, profile.pk)] if expected else [])


def test_saving_unchanged_values_announces_nothing(announced):
    user = User.objects.get(pk=make_user().pk)
    announced.clear()
    user.save()
    user.profile.save()
    assert announced == []


def test_a_rename_is_announced(announced):
    user = User.objects.get(pk=make_user().pk)
    announced.clear()
    user.username = "nieuwe_naam"
    user.save()
    assert announced == [(User, user.pk)]


def test_a_save_of_other_fields_by_name_costs_no_query(announced):
    user = User.objects.get(pk=make_user().pk)
    announced.clear()
    with CaptureQueriesContext(connection) as queries:
        user.save(update_fields=["last_login"])
    assert len(queries) == 1  # the UPDATE itself
    assert announced == []


def test_naming_a_shown_field_compares_only_that_one(announced):
    user = User.objects.get(pk=make_user().pk)
    announced.clear()
    user.username = "weer_anders"
    user.save(update_fields=["username"])
    user.save(update_fields=["username"])
    assert announced == [(User, user.pk)]
