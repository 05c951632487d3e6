"""The admin shows memberships and roles but does not change them: the region's management page
does, through the services (audit entry, socket revocation). No admin path gets round it."""

import pytest
from django.urls import reverse

from regions.models import Membership, Role
from tests.factories import make_member, make_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership():
    region = make_region()
    return Membership.objects.get(user=make_member(region=region), region=region)


def _unchanged(membership: Membership) -> bool:
    return Membership.objects.filter(pk=membership.pk, role=Role.MEMBER).exists()


def test_the_membership_change_form_cannot_change_a_role(staff_client, membership):
    url = reverse("admin:regions_membership_change", args=[membership.pk])
    staff_client.post(url, {"user": membership.user_id, "region": membership.region_id,
                            "role": Role.MODERATOR})
    assert _unchanged(membership)


def test_the_admin_cannot_add_or_delete_memberships(staff_client, membership):
    assert staff_client.get(reverse("admin:regions_membership_add")).status_code == 403
    delete = reverse("admin:regions_membership_delete", args=[membership.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    staff_client.post(reverse("admin:regions_membership_changelist"), {
        "action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"})
    assert _unchanged(membership)


def test_both_admin_pages_link_to_the_management_page(staff_client, membership):
    manage = reverse("regions:manage", args=[membership.region.slug])
    for url in (reverse("admin:regions_membership_change", args=[membership.pk]),
                reverse("admin:regions_region_change", args=[membership.region_id])):
        html = staff_client.get(url).content.decode()
        assert manage in html
        assert 'name="role"' not in html and 'name="memberships-0-role"' not in html


def test_the_region_form_cannot_change_or_end_memberships(staff_client, membership):
    region = membership.region
    url = reverse("admin:regions_region_change", args=[region.pk])
    page = staff_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value is not None}
    data["provinces"] = form["provinces"].value()
    data.update({
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": membership.pk, "memberships-0-region": region.pk,
        "memberships-0-user": membership.user_id, "memberships-0-role": Role.MODERATOR,
        "memberships-0-DELETE": "on",
    })
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert _unchanged(membership)
