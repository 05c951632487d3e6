"""The next meetings on the home page and a region's page: the `upcoming_meetings` tag over
selectors.list_next_meetings. Only what the viewer may see and can still attend, in one query."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template

from events import selectors, services
from tests.events.conftest import make_meeting, start_in_the_past
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user(staff=True, mfa=True)


def _titles(viewer, **kwargs) -> list[str]:
    return [m.title for m in selectors.list_next_meetings(viewer=viewer, **kwargs)]


def test_only_published_upcoming_meetings_the_viewer_may_see_soonest_first(staff):
    region = make_region()
    make_meeting(organiser=staff, title="Later", days_ahead=30)
    make_meeting(organiser=staff, title="Eerst", days_ahead=3)
    make_meeting(organiser=staff, title="Concept", publish=False)
    make_meeting(organiser=staff, title="Genodigden", audience="invite")
    make_meeting(organiser=staff, title="Regiodag", region=region, audience="region")
    start_in_the_past(make_meeting(organiser=staff, title="Geweest"), hours_ago=10)
    services.cancel_meeting(actor=staff, meeting=make_meeting(organiser=staff, title="Afgelast"),
                            reason="Te weinig aanmeldingen")
    assert _titles(AnonymousUser()) == ["Eerst", "Later"]
    assert _titles(make_user()) == ["Eerst", "Later"]
    assert _titles(make_member(region=region)) == ["Eerst", "Regiodag", "Later"]
    # Staff may see drafts and invite-only meetings, but the list is of what one can attend.
    assert "Concept" not in _titles(staff, limit=10)


def test_an_invited_person_sees_the_invite_only_meeting(staff):
    meeting = make_meeting(organiser=staff, title="Bestuurlijk", audience="invite")
    guest = make_user()
    assert _titles(guest) == []
    services.invite(actor=staff, meeting=meeting, user=guest)
    assert _titles(guest) == ["Bestuurlijk"]


def test_a_region_lists_its_own_meetings_and_the_limit_holds(staff):
    region, other = make_region(), make_region()
    for day in (1, 2, 3, 4):
        make_meeting(organiser=staff, title=f"Regio {day}", region=region, days_ahead=day)
    make_meeting(organiser=staff, title="Andere regio", region=other)
    make_meeting(organiser=staff, title="Landelijk")
    assert _titles(AnonymousUser(), region_id=region.pk) == ["Regio 1", "Regio 2", "Regio 3"]
    assert _titles(AnonymousUser(), region_id=region.pk, limit=2) == ["Regio 1", "Regio 2"]


def _render(user, region=None) -> str:
    template = Template("{% load events %}{% upcoming_meetings user region=region limit=3 "
                        "as meetings %}{% for m in meetings %}{{ m.title }}|{{ m.places_left }};"
                        "{% endfor %}")
    return template.render(Context({"user": user, "region": region}))


@pytest.mark.parametrize("count", [3, 12])
def test_the_tag_costs_one_query_however_many_meetings(staff, count,
                                                       django_assert_num_queries):
    for day in range(count):
        meeting = make_meeting(organiser=staff, title=f"B{day}", days_ahead=day + 1, capacity=5)
        services.register(actor=make_user(), meeting=meeting)
    anonymous = AnonymousUser()
    with django_assert_num_queries(1):
        assert _render(anonymous) == "B0|4;B1|4;B2|4;"
    member = make_member(region=make_region())
    _render(member)  # the member's regions and second factor are looked up once per request
    with django_assert_num_queries(1):
        assert _render(member) == "B0|4;B1|4;B2|4;"


def test_home_and_region_pages_show_the_next_meetings_and_hide_the_rest(client, staff):
    region = make_region(name="Regio Veenweide")
    make_meeting(organiser=staff, title="Werkplaatsbijeenkomst Zegveld")
    make_meeting(organiser=staff, title="Regiodag Veenweide", region=region, audience="region")
    make_meeting(organiser=staff, title="Bestuurlijke bijeenkomst", audience="invite")
    make_meeting(organiser=staff, title="Nog een concept", region=region, publish=False)
    home = client.get("/").content.decode()
    assert "Werkplaatsbijeenkomst Zegveld" in home
    assert all(t not in home for t in ("Regiodag", "Bestuurlijke", "concept"))
    page = client.get(region.get_absolute_url()).content.decode()
    assert "Regiodag" not in page and "Werkplaatsbijeenkomst Zegveld" not in page
    assert f'href="/bijeenkomsten/?region={region.slug}"' in page
    client.force_login(make_member(region=region))
    page = client.get(region.get_absolute_url()).content.decode()
    assert "Regiodag Veenweide" in page and "concept" not in page
    assert "Regiodag Veenweide" in client.get("/").content.decode()
