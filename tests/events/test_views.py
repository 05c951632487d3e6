"""The overview and the meeting page: what each person sees, registering through the form
(what was typed stays on every refusal), and query counts that do not grow with the rows."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from events import services
from events.models import Meeting, Registration
from forums.models import Tag
from regions.models import Role
from tests.events.conftest import make_meeting
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db
OVERVIEW = "/bijeenkomsten/"


def _page(meeting: Meeting) -> str:
    return f"/bijeenkomsten/{meeting.pk}/"


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def staff():
    return make_user(staff=True, mfa=True)


def test_the_urls_are_dutch_and_named():
    assert reverse("events:overview") == OVERVIEW
    assert reverse("events:past") == "/bijeenkomsten/eerder/"
    assert reverse("events:register", args=[7]) == "/bijeenkomsten/7/aanmelden/"


def test_the_overview_lists_what_the_viewer_may_see(client, staff):
    region = make_region(name="Regio Veenweide")
    open_meeting = make_meeting(organiser=staff, title="Open bijeenkomst")
    make_meeting(organiser=staff, title="Concept", publish=False)
    make_meeting(organiser=staff, title="Alleen genodigden", audience="invite")
    make_meeting(organiser=staff, title="Regiodag", region=region, audience="region")
    html = client.get(OVERVIEW).content.decode()
    assert "Open bijeenkomst" in html and open_meeting.get_absolute_url() in html
    for hidden in ("Concept", "Alleen genodigden", "Regiodag"):
        assert hidden not in html
    client.force_login(make_member(region=region))
    html = client.get(OVERVIEW).content.decode()
    assert "Regiodag" in html and "Alleen genodigden" not in html
    client.force_login(staff)
    html = client.get(OVERVIEW).content.decode()
    assert all(title in html for title in ("Concept", "Alleen genodigden", "Regiodag"))


def test_the_overview_filters_by_region_kind_and_tag_and_keeps_the_past_apart(client, staff):
    region = make_region(slug="veenweide")
    tag = Tag.objects.create(slug="water", name="Water")
    make_meeting(organiser=staff, title="Webinar bodem", kind="webinar",
                 online_url="https://meet.example.nl/bodem")
    make_meeting(organiser=staff, title="In de regio", region=region)
    make_meeting(organiser=staff, title="Over water", tags=[tag])
    past = make_meeting(organiser=staff, title="Vorig jaar")
    Meeting.objects.filter(pk=past.pk).update(starts_at=timezone.now() - timedelta(days=300),
                                              ends_at=timezone.now() - timedelta(days=299))

    def titles(url):
        return [m.title for m in client.get(url).context["meetings"]]

    assert titles(OVERVIEW) == ["Webinar bodem", "In de regio", "Over water"]
    assert titles(f"{OVERVIEW}?kind=webinar") == ["Webinar bodem"]
    assert titles(f"{OVERVIEW}?region=veenweide") == ["In de regio"]
    assert titles(f"{OVERVIEW}?tag=water") == ["Over water"]
    assert titles(f"{OVERVIEW}?kind=onbekend") == titles(OVERVIEW)  # an odd value filters nothing
    assert titles("/bijeenkomsten/eerder/") == ["Vorig jaar"]


@pytest.mark.parametrize("case", ["draft", "invite", "region", "missing"])
def test_a_meeting_you_may_not_see_is_the_same_404_as_one_that_does_not_exist(
        client, staff, case):
    region = make_region()
    meeting = {
        "draft": lambda: make_meeting(organiser=staff, publish=False),
        "invite": lambda: make_meeting(organiser=staff, audience="invite"),
        "region": lambda: make_meeting(organiser=staff, region=region, audience="region"),
        "missing": lambda: Meeting(pk=999_999),
    }[case]()
    client.force_login(make_user())
    for url in (_page(meeting), f"{_page(meeting)}afmelden/", f"{_page(meeting)}aanmelden/"):
        response = client.get(url) if url == _page(meeting) else client.post(url)
        assert response.status_code == 404, url
    assert not Registration.objects.exists()


def test_the_page_shows_times_place_programme_and_the_online_link_only_to_participants(
        client, staff):
    meeting = make_meeting(organiser=staff, title="Bestuurlijke bijeenkomst", capacity=1,
                           online_url="https://meet.example.nl/geheim",
                           description="Thema: **interbestuurlijke aanpak**",
                           organiser_name="Programmateam", organiser_email="ibp@example.nl")
    speaker = services.add_speaker(actor=staff, meeting=meeting, name="Directeur-generaal",
                                   organisation="Ministerie", government_layer="rijk")
    services.add_programme_item(actor=staff, meeting=meeting, title="Opening",
                                starts_at=meeting.starts_at,
                                ends_at=meeting.starts_at + timedelta(minutes=30),
                                speakers=[speaker])
    participant, waiting = make_user(), make_user()
    services.register(actor=participant, meeting=meeting)
    services.register(actor=waiting, meeting=meeting)

    client.force_login(waiting)
    html = client.get(_page(meeting)).content.decode()
    local_start = timezone.localtime(meeting.starts_at).strftime("%H:%M")
    assert local_start in html and "Dorpshuis Zegveld" in html
    assert "<strong>interbestuurlijke aanpak</strong>" in html
    assert "Directeur-generaal" in html and "Opening" in html and "ibp@example.nl" in html
    assert "https://meet.example.nl/geheim" not in html
    assert "number 1" in html or "nummer 1" in html  # the waiting-list position
    client.force_login(participant)
    assert "https://meet.example.nl/geheim" in client.get(_page(meeting)).content.decode()


def test_registering_through_the_form_confirms_and_tells(client, staff):
    meeting = make_meeting(organiser=staff, capacity=5)
    member = make_user(organisation="Waterschap Vechtstromen", layer="waterschap")
    client.force_login(member)
    form = client.get(_page(meeting)).context["form"]
    assert form.initial["organisation"] == "Waterschap Vechtstromen"
    response = client.post(f"{_page(meeting)}aanmelden/", {
        "organisation": "Waterschap Vechtstromen", "government_layer": "waterschap",
        "consent_participant_list": "on"})
    assert response.status_code == 302 and response["Location"] == _page(meeting)
    registration = Registration.objects.get(user=member)
    assert (registration.status, registration.consent_participant_list) == ("confirmed", True)
    assert _messages(response)


def test_a_second_submit_finds_the_first_registration(client, staff):
    meeting = make_meeting(organiser=staff)
    client.force_login(make_user())
    for _ in range(2):
        response = client.post(f"{_page(meeting)}aanmelden/", {})
        assert response.status_code == 302
    assert Registration.objects.count() == 1
    assert len(_messages(response)) == 2  # registered, then "already registered"


def test_a_missing_required_answer_keeps_what_was_typed_and_writes_nothing(client, staff):
    meeting = make_meeting(organiser=staff)
    question = services.add_question(actor=staff, meeting=meeting, label="Dieetwensen",
                                     required=True)
    services.add_question(actor=staff, meeting=meeting, label="Lunch?", kind="yesno")
    client.force_login(make_user())
    response = client.post(f"{_page(meeting)}aanmelden/", {
        "organisation": "Gemeente Zegveld-Oost", question.field_name: "   "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Gemeente Zegveld-Oost" in html
    assert response.context["form"].errors[question.field_name]
    assert 'aria-invalid="true"' in html and "<legend>Lunch?" in html
    assert not Registration.objects.exists()


def test_registering_after_registration_closed_says_when_and_keeps_the_form(client, staff):
    meeting = make_meeting(organiser=staff)
    client.force_login(make_user())
    client.get(_page(meeting))  # the form was loaded while registration was open
    Meeting.objects.filter(pk=meeting.pk).update(
        registration_closes_at=timezone.now() - timedelta(minutes=1))
    response = client.post(f"{_page(meeting)}aanmelden/",
                           {"organisation": "Provincie Overijssel"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Provincie Overijssel" in html
    assert response.context["form"].non_field_errors()
    assert not Registration.objects.exists()
    # A fresh visit shows why, instead of a form.
    page = client.get(_page(meeting))
    assert page.context["closed_because"] and "<form method=\"post\" action=\"" \
        f"{_page(meeting)}aanmelden/" not in page.content.decode()


def test_a_full_meeting_without_a_waiting_list_refuses_with_the_form_kept(client, staff):
    meeting = make_meeting(organiser=staff, capacity=1, has_waiting_list=False)
    client.force_login(make_user())
    page = client.get(_page(meeting))  # loaded while a place was free
    services.register(actor=make_user(), meeting=meeting)
    response = client.post(f"{_page(meeting)}aanmelden/", {"organisation": "Rijk"})
    assert response.status_code == 400 and page.status_code == 200
    assert "Rijk" in response.content.decode()
    assert Registration.objects.count() == 1


def test_anonymous_registering_is_sent_to_log_in(client, staff):
    meeting = make_meeting(organiser=staff)
    response = client.post(f"{_page(meeting)}aanmelden/", {})
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert "Log in" in client.get(_page(meeting)).content.decode() or \
        "Inloggen" in client.get(_page(meeting)).content.decode()


def test_cancelling_and_taking_an_offered_place_through_the_page(client, staff):
    meeting = make_meeting(organiser=staff, capacity=1, waiting_list_mode="offer")
    first, second = make_user(), make_user()
    services.register(actor=first, meeting=meeting)
    services.register(actor=second, meeting=meeting)
    client.force_login(first)
    assert client.post(f"{_page(meeting)}afmelden/").status_code == 302
    assert Registration.objects.get(user=first).status == "cancelled"
    client.force_login(second)
    assert f"{_page(meeting)}plek-aannemen/" in client.get(_page(meeting)).content.decode()
    assert client.post(f"{_page(meeting)}plek-aannemen/").status_code == 302
    assert Registration.objects.get(user=second).status == "confirmed"


def test_the_participant_list_shows_only_those_who_consented(client, staff):
    region = make_region()
    meeting = make_meeting(organiser=staff, region=region)
    services.register(actor=make_user(display_name="Zichtbaar Persoon"), meeting=meeting,
                      consent_participant_list=True)
    services.register(actor=make_user(display_name="Verborgen Persoon"), meeting=meeting)
    client.force_login(make_member(region=region))
    html = client.get(_page(meeting)).content.decode()
    assert "Zichtbaar Persoon" in html and "Verborgen Persoon" not in html
    client.force_login(make_user())  # neither participant nor region member
    assert client.get(_page(meeting)).context["participants"] is None


def _count(client, url) -> int:
    client.get(url)  # the first visit of a session also writes its clocks
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _many_registrations(meeting: Meeting, n: int) -> None:
    """n registrations at once (through the services they would take minutes): half with a
    place and listed, half waiting."""
    start = Registration.objects.filter(meeting=meeting).count()
    users = User.objects.bulk_create(
        User(username=f"bulk{meeting.pk}-{start + i}", email=f"bulk{meeting.pk}-{start + i}@x.nl")
        for i in range(n))
    Registration.objects.bulk_create(
        Registration(meeting=meeting, user=user, position=start + i + 1,
                     status="confirmed" if i % 2 == 0 else "waiting",
                     consent_participant_list=True)
        for i, user in enumerate(users))


@pytest.mark.parametrize("who", ["anonymous", "participant", "organiser"])
def test_the_meeting_page_asks_as_many_queries_with_a_thousand_registrations(
        client, staff, who, django_assert_num_queries):
    region = make_region()
    moderator = make_member(region=region, role=Role.MODERATOR)
    meeting = make_meeting(organiser=moderator, region=region)
    workshop = services.add_programme_item(
        actor=moderator, meeting=meeting, title="Workshop", is_session=True, capacity=600,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    services.add_question(actor=moderator, meeting=meeting, label="Vraag?")
    viewer = {"anonymous": None, "participant": make_member(region=region),
              "organiser": moderator}[who]
    if viewer is not None:
        client.force_login(viewer)
    if who == "participant":
        services.register(actor=viewer, meeting=meeting, sessions=[workshop],
                          consent_participant_list=True)
    _many_registrations(meeting, 2)
    small = _count(client, _page(meeting))
    _many_registrations(meeting, 1000)
    client.get(_page(meeting))
    with django_assert_num_queries(small):
        response = client.get(_page(meeting))
    assert response.context["meeting"].places_taken > 500


def test_the_overview_asks_as_many_queries_for_twenty_meetings_as_for_two(client, staff):
    tag = Tag.objects.create(slug="bodem", name="Bodem")
    region = make_region()
    for _ in range(2):
        _many_registrations(make_meeting(organiser=staff, region=region, tags=[tag]), 3)
    client.force_login(make_member(region=region))
    small = _count(client, OVERVIEW)
    for _ in range(18):
        _many_registrations(make_meeting(organiser=staff, region=region, tags=[tag]), 3)
    assert _count(client, OVERVIEW) == small


def test_an_organiser_sees_a_draft_with_no_registration_form_yet(client, staff):
    draft = make_meeting(organiser=staff, publish=False)
    client.force_login(staff)
    response = client.get(_page(draft))
    assert response.status_code == 200 and response.context["form"] is None
    assert response.context["can_manage"]
    assert "Registration opens once the meeting is published." in response.content.decode() \
        or "Aanmelden kan zodra de bijeenkomst is gepubliceerd." in response.content.decode()
