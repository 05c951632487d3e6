"""Who may change a profile: its owner, and staff; the service asks the same rule."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts import permissions, services
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("who", "allowed"), [
    ("owner", True), ("staff", True), ("someone else", False), ("anonymous", False)])
def test_who_may_edit_a_profile(who, allowed):
    owner = make_user(display_name="Anna de Vries")
    actor = {"owner": owner, "staff": make_user(staff=True), "someone else": make_user(),
             "anonymous": AnonymousUser()}[who]
    assert permissions.can_edit_profile(actor, owner.profile) is allowed
    if who == "anonymous":
        return
    if allowed:
        services.update_profile(actor=actor, profile=owner.profile, job_title="Adviseur")
        owner.profile.refresh_from_db()
        assert owner.profile.job_title == "Adviseur"
    else:
        with pytest.raises(PermissionDenied):
            services.update_profile(actor=actor, profile=owner.profile, job_title="Adviseur")
        owner.profile.refresh_from_db()
        assert owner.profile.job_title != "Adviseur"
