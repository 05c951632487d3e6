"""Deleting an account that has posts (or audit history) in the admin: never a 500, but a clear
page that says why it stays and how to deactivate it instead."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from tests.factories import make_member, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(staff_client):
    staff_client.raise_request_exception = False  # a crash must show as a 500, not an exception
    return staff_client


def _explained(html: str) -> bool:
    """The explanation (found by its last sentence's start, in either language) is there."""
    with translation.override("nl"):
        return "deactivate the account instead" in html or "deactiveer dan het account" in html


def test_the_delete_view_of_an_author_explains_and_points_to_deactivation(staff_client):
    author = make_thread().author
    url = reverse("admin:accounts_user_delete", args=[author.pk])
    for response in (staff_client.get(url), staff_client.post(url, {"post": "yes"})):
        html = response.content.decode()
        assert response.status_code == 200
        assert reverse("admin:accounts_user_change", args=[author.pk]) in html
        assert "messagelist" in html and _explained(html)
    assert User.objects.filter(pk=author.pk).exists()


def test_the_bulk_delete_action_on_authors_explains_and_deletes_nothing(staff_client):
    author, other = make_thread().author, make_user()
    response = staff_client.post(reverse("admin:accounts_user_changelist"), {
        "action": "delete_selected", "_selected_action": [author.pk, other.pk], "post": "yes"})
    assert response.status_code == 200
    assert _explained(response.content.decode())
    assert User.objects.filter(pk__in=[author.pk, other.pk]).count() == 2


def test_an_account_without_history_can_still_be_deleted(staff_client):
    plain = make_user()
    response = staff_client.post(reverse("admin:accounts_user_delete", args=[plain.pk]),
                                 {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=plain.pk).exists()


def test_a_member_without_posts_is_kept_too_with_the_same_explanation(staff_client):
    """Ending a membership belongs to the region's services (audit, socket revocation); the
    admin cannot delete memberships, so neither the account that holds them."""
    member = make_member(region=make_region())
    single = staff_client.get(reverse("admin:accounts_user_delete", args=[member.pk]))
    bulk = staff_client.post(reverse("admin:accounts_user_changelist"), {
        "action": "delete_selected", "_selected_action": [member.pk]})
    for response in (single, bulk):
        html = response.content.decode()
        assert response.status_code == 200 and _explained(html)
        assert 'name="post"' not in html  # no button that would delete it anyway
    assert User.objects.filter(pk=member.pk).exists()
