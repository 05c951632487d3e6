import pytest
from django.urls import reverse

from regions.models import Membership, MembershipRequest, Region, Role
from tests.conftest import page_queries
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db


def test_home_lists_every_region_from_the_data_file(client):
    import json
    from pathlib import Path

    data = json.loads((Path(__file__).resolve().parents[2] / "regions/data/regions.json")
                      .read_text(encoding="utf-8"))
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="nl">' in html
    for item in data:
        region = Region.objects.get(slug=item["slug"])
        assert f'href="/regio/{item["slug"]}/"' in html
        assert region.name.replace("&", "&amp;") in html


def test_home_query_count_does_not_grow_with_regions(client, django_user_model):
    few = page_queries(client, "/")
    for _ in range(20):
        make_member(region=make_region())
    assert page_queries(client, "/") == few


def test_region_page_in_site_style_and_unknown_region_404(client):
    region = make_region(name="Regio Testveen")
    assert "Regio Testveen" in client.get(region.get_absolute_url()).content.decode()
    response = client.get("/regio/bestaat-niet/")
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.content.decode()
    assert 'class="site-header"' in response.content.decode()


def test_member_list_is_for_members_only(client):
    region = make_region()
    member = make_member(region=region, display_name="Zichtbaar Lid")
    url = reverse("regions:members", args=[region.slug])
    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(make_user())
    response = client.get(url)
    assert response.status_code == 403
    assert "Alleen leden van deze regio" in response.content.decode()
    assert "Zichtbaar Lid" not in response.content.decode()
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200 and "Zichtbaar Lid" in response.content.decode()


def test_member_list_query_count_is_flat(client):
    region = make_region()
    viewer = make_member(region=region)
    client.force_login(viewer)
    url = reverse("regions:members", args=[region.slug])
    client.get(url)  # warm: the header's unread count is cached per user for seconds
    few = page_queries(client, url)
    for _ in range(20):
        make_member(region=region)
    assert page_queries(client, url) == few


def test_join_open_region_by_post(client):
    region, user = make_region(), make_user()
    client.force_login(user)
    url = reverse("regions:join", args=[region.slug])
    assert client.get(url).status_code == 200  # a confirm page, GET changes nothing
    assert not Membership.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.filter(user=user, region=region).exists()


def test_request_closed_region_keeps_typed_text_on_error(client):
    region, user = make_region(is_open=False), make_user()
    client.force_login(user)
    url = reverse("regions:join", args=[region.slug])
    too_long = "x" * 1001
    response = client.post(url, {"motivation": too_long})
    assert response.status_code == 200
    assert too_long in response.content.decode()
    assert "niet meer dan 1000 tekens" in response.content.decode()
    assert not MembershipRequest.objects.exists()


def test_nul_byte_is_a_form_error_not_a_database_error(client):
    region, user = make_region(is_open=False), make_user()
    client.force_login(user)
    response = client.post(reverse("regions:join", args=[region.slug]),
                           {"motivation": "hallo\x00daar"})
    assert response.status_code == 200
    assert "Null" in response.content.decode() or "null" in response.content.decode()
    assert not MembershipRequest.objects.exists()


def test_double_submit_of_a_request_creates_one(client):
    region, user = make_region(is_open=False), make_user()
    client.force_login(user)
    url = reverse("regions:join", args=[region.slug])
    client.post(url, {"motivation": "graag"})
    client.post(url, {"motivation": "graag"})
    assert MembershipRequest.objects.filter(user=user).count() == 1


def test_moderator_without_mfa_is_sent_to_set_it_up(client):
    region = make_region()
    moderator = make_member(region=region, user=make_user(mfa=False), role=Role.MODERATOR)
    client.force_login(moderator)
    response = client.get(reverse("regions:manage", args=[region.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_activate_totp"))


def test_member_gets_403_on_the_management_page(client):
    region = make_region()
    client.force_login(make_member(region=region))
    assert client.get(reverse("regions:manage", args=[region.slug])).status_code == 403


def test_moderator_of_another_region_cannot_decide(client):
    region, other = make_region(is_open=False), make_region()
    req = MembershipRequest.objects.create(user=make_user(), region=region)
    client.force_login(make_member(region=other, role=Role.MODERATOR))
    response = client.post(reverse("regions:decide", args=[region.slug, req.pk]),
                           {"decision": "approve"})
    assert response.status_code == 403
    req.refresh_from_db()
    assert req.status == "pending"


def test_moderator_approves_and_changes_roles_through_the_page(client):
    region = make_region(is_open=False)
    moderator = make_member(region=region, role=Role.MODERATOR)
    applicant = make_user(display_name="Nieuwe Collega")
    req = MembershipRequest.objects.create(user=applicant, region=region)
    client.force_login(moderator)
    manage = client.get(reverse("regions:manage", args=[region.slug]))
    assert "Nieuwe Collega" in manage.content.decode()
    client.post(reverse("regions:decide", args=[region.slug, req.pk]),
                {"decision": "approve", "reason": ""})
    membership = Membership.objects.get(user=applicant, region=region)
    client.post(reverse("regions:member_role", args=[region.slug, membership.pk]),
                {"role": Role.REPORTER})
    membership.refresh_from_db()
    assert membership.role == Role.REPORTER
    # A tampered role value is refused with a message, not a 500.
    response = client.post(reverse("regions:member_role", args=[region.slug, membership.pk]),
                           {"role": "admin"}, follow=True)
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == Role.REPORTER


def test_a_moderator_removes_a_member_and_cannot_reach_another_regions(client):
    region, elsewhere = make_region(), make_region()
    moderator = make_member(region=region, role=Role.MODERATOR)
    member = make_member(region=region)
    outsider = make_member(region=elsewhere)
    # The URL names a membership, not a user: their ids coincide only by chance.
    membership = Membership.objects.get(user=member, region=region)
    outside = Membership.objects.get(user=outsider, region=elsewhere)
    client.force_login(moderator)
    other = client.post(reverse("regions:member_remove", args=[region.slug, outside.pk]))
    assert other.status_code == 404
    assert Membership.objects.filter(pk=outside.pk).exists()
    response = client.post(reverse("regions:member_remove", args=[region.slug, membership.pk]),
                           follow=True)
    assert response.status_code == 200
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert "is uit de regio verwijderd" in response.content.decode()


def test_manage_page_query_count_is_flat(client):
    region = make_region(is_open=False)
    client.force_login(make_member(region=region, role=Role.MODERATOR))
    url = reverse("regions:manage", args=[region.slug])
    client.get(url)  # warm: the header's unread count is cached per user for seconds
    few = page_queries(client, url)
    for _ in range(10):
        make_member(region=region)
        MembershipRequest.objects.create(user=make_user(), region=region)
    assert page_queries(client, url) == few


def test_leave_region(client):
    region = make_region()
    member = make_member(region=region)
    client.force_login(member)
    assert client.get(reverse("regions:leave", args=[region.slug])).status_code == 200
    client.post(reverse("regions:leave", args=[region.slug]))
    assert not Membership.objects.filter(user=member).exists()
