"""manage.py load_demo: the demo's meetings, and that running it again (every `make run`)
adds nothing."""

from io import StringIO

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from accounts.models import User
from events import permissions, selectors
from events.models import Meeting, Registration
from forums.models import Post, Thread

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _counts() -> tuple:
    return tuple(model.objects.count() for model in (User, Thread, Post, Meeting, Registration))


def test_the_demo_has_its_meetings_and_a_second_run_adds_nothing():
    assert "Demo meetings loaded." in _load()
    zegveld = Meeting.objects.get(title__startswith="Werkplaatsbijeenkomst: interbestuurlijke")
    assert zegveld.region is None and zegveld.audience == "open" and not zegveld.is_past()
    assert zegveld.venue_name and "Zegveld" in zegveld.venue_address
    assert zegveld.programme.count() >= 4 and zegveld.questions.exists()
    workshops = zegveld.programme.filter(is_session=True)
    assert workshops.count() == 2 and len({w.room for w in workshops}) == 2
    assert all(w.capacity for w in workshops)
    assert zegveld.speakers.filter(organisation__contains="directeur-generaal").exists()

    full = selectors.list_meetings(viewer=AnonymousUser()).get(capacity=2)
    assert (full.places_left, full.waiting_count) == (0, 2)

    past = Meeting.objects.get(title="Werksessie waterberging in de beekdalen")
    assert past.state == "past" and past.registrations.filter(status="confirmed").count() == 2
    report = Thread.objects.get(kind="report", title=past.title)
    assert report.get_absolute_url() in past.description_html

    invited_only = Meeting.objects.get(audience="invite", kind="bestuurlijk")
    assert invited_only.status == "published"
    bram, carla = User.objects.get(username="bram"), User.objects.get(username="carla")
    assert permissions.can_view(bram, invited_only)
    assert not permissions.can_view(carla, invited_only)

    before = _counts()
    assert "Demo meetings loaded." not in _load()
    assert _counts() == before


def test_a_demo_loaded_before_meetings_existed_gets_them_once():
    _load()
    Meeting.objects.all().delete()
    users = User.objects.count()
    assert "Demo meetings loaded." in _load()
    assert Meeting.objects.count() == 4 and User.objects.count() == users


def test_pages_render_with_the_demo(client):
    _load()
    home = client.get("/").content.decode()
    assert "Werkplaatsbijeenkomst: interbestuurlijke aanpak regionale opgaven" in home
    assert "Bestuurlijke Werkplaatsbijeenkomst" not in home
    assert "Excursie: klimaatbestendige beekdalen" in client.get("/regio/twente/").content.decode()
    client.force_login(User.objects.get(username="bram"))
    overview = client.get("/bijeenkomsten/").content.decode()
    assert "Bestuurlijke Werkplaatsbijeenkomst" in overview
    zegveld = Meeting.objects.get(title__startswith="Werkplaatsbijeenkomst: interbestuurlijke")
    page = client.get(zegveld.get_absolute_url())
    assert page.status_code == 200 and "Marieke van den Berg" in page.content.decode()
