"""Calendar files and feeds: every output is read back by two independent parsers (vobject
and icalendar), so what Outlook, Apple Calendar and Thunderbird receive is valid RFC 5545;
the online link goes only to those who may see it; the public feed shows open, published
meetings alone; a personal feed's address is secret and revocable."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from events import calendar, selectors, services
from events.models import CalendarFeedToken, Meeting
from tests.events.conftest import make_meeting, start_in_the_past
from tests.factories import make_member, make_region, make_user

pytestmark = pytest.mark.django_db
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")
PUBLIC_FEED = "/bijeenkomsten/agenda.ics"
LINK = "https://meet.example.nl/geheim-123"


@pytest.fixture
def staff():
    return make_user(staff=True, mfa=True)


def _ics_url(meeting: Meeting) -> str:
    return f"/bijeenkomsten/{meeting.pk}/agenda.ics"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _parse(content: bytes) -> list[dict]:
    """Each VEVENT as a dict, after both parsers agree on it; fails on anything either
    refuses."""
    text = content.decode("utf-8")
    assert "\r\n" in text
    read_by_vobject = vobject.readOne(text)
    read_by_icalendar = icalendar.Calendar.from_ical(content)
    assert read_by_vobject.version.value == "2.0"
    assert read_by_vobject.prodid.value == str(read_by_icalendar["PRODID"])
    vevents = list(getattr(read_by_vobject, "vevent_list", []))
    ievents = list(read_by_icalendar.walk("VEVENT"))
    assert len(vevents) == len(ievents)
    if ievents:
        assert [tz["TZID"] for tz in read_by_icalendar.walk("VTIMEZONE")] == [
            "Europe/Amsterdam"]
        assert read_by_icalendar.get_missing_tzids() == set()
    events = []
    for v, i in zip(vevents, ievents, strict=True):
        event = {"uid": v.uid.value, "sequence": int(v.sequence.value),
                 "start": v.dtstart.value, "end": v.dtend.value,
                 "summary": v.summary.value, "description": v.description.value,
                 "location": v.location.value if hasattr(v, "location") else "",
                 "url": v.url.value, "status": v.status.value,
                 "organizer": v.organizer.value if hasattr(v, "organizer") else None,
                 "method": str(read_by_icalendar.get("METHOD"))}
        assert event["uid"] == str(i["UID"]) and event["sequence"] == int(i["SEQUENCE"])
        # In UTC: an aware comparison across two zone classes refuses times near a change.
        assert _utc(event["start"]) == _utc(i.start) and _utc(event["end"]) == _utc(i.end)
        assert event["description"] == str(i["DESCRIPTION"])
        assert i["DTSTART"].params["TZID"] == i["DTEND"].params["TZID"] == "Europe/Amsterdam"
        assert event["start"].tzinfo is not None  # vobject read the zone from the VTIMEZONE
        assert i["DTSTAMP"].dt.tzinfo is not None
        events.append(event)
    return events


def _one(content: bytes) -> dict:
    (event,) = _parse(content)
    return event


def test_the_file_of_a_meeting_says_everything_a_calendar_needs(client, staff, settings):
    settings.SITE_URL = "https://werkplaats.example.nl"
    meeting = make_meeting(organiser=staff, description="Thema **interbestuurlijke** aanpak",
                           organiser_name="Programmateam", organiser_email="team@example.nl",
                           venue_address="Dorpsweg 1\n3474 Zegveld")
    response = client.get(_ics_url(meeting))
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="bijeenkomst-{meeting.pk}.ics"')
    event = _one(response.content)
    assert event["uid"] == f"meeting-{meeting.pk}@werkplaats.example.nl"
    assert (event["sequence"], event["status"], event["method"]) == (0, "CONFIRMED", "PUBLISH")
    assert event["start"] == meeting.starts_at and event["end"] == meeting.ends_at
    assert event["summary"] == "Werkplaatsbijeenkomst Zegveld"
    assert event["location"] == "Dorpshuis Zegveld, Dorpsweg 1, 3474 Zegveld"
    assert event["url"] == f"https://werkplaats.example.nl/bijeenkomsten/{meeting.pk}/"
    assert event["description"].startswith("Thema interbestuurlijke aanpak")  # plain text
    assert "<" not in event["description"] and "**" not in event["description"]
    assert event["organizer"] == "mailto:team@example.nl"


def test_without_an_organiser_address_there_is_no_organizer(client, staff):
    meeting = make_meeting(organiser=staff)
    assert _one(client.get(_ics_url(meeting)).content)["organizer"] is None


def test_the_uid_stays_and_the_sequence_rises_with_a_change_of_time_or_place(client, staff):
    meeting = make_meeting(organiser=staff)
    first = _one(client.get(_ics_url(meeting)).content)
    services.update_meeting(actor=staff, meeting=meeting, title="Andere titel")
    retitled = _one(client.get(_ics_url(meeting)).content)
    assert (retitled["uid"], retitled["sequence"], retitled["summary"]) == (
        first["uid"], 0, "Andere titel")
    later = meeting.starts_at + timedelta(hours=2)
    services.update_meeting(actor=staff, meeting=meeting, starts_at=later,
                            ends_at=later + timedelta(hours=4))
    moved = _one(client.get(_ics_url(meeting)).content)
    services.update_meeting(actor=staff, meeting=meeting, venue_name="Kerk Zegveld")
    elsewhere = _one(client.get(_ics_url(meeting)).content)
    assert (moved["uid"], moved["sequence"], moved["start"]) == (first["uid"], 1, later)
    assert (elsewhere["uid"], elsewhere["sequence"]) == (first["uid"], 2)
    assert elsewhere["location"].startswith("Kerk Zegveld")


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _last_sunday_of_october(year: int) -> date:
    return _last_sunday(year, 10)


def _last_sunday_of_march(year: int) -> date:
    return _last_sunday(year, 3)


def test_a_meeting_across_the_end_of_summer_time_keeps_its_wall_clock_times(client, staff):
    sunday = _last_sunday_of_october(timezone.now().year + 1)
    start = datetime(sunday.year, sunday.month, sunday.day, 1, 30, tzinfo=AMSTERDAM)  # CEST
    end = datetime(sunday.year, sunday.month, sunday.day, 4, 30, tzinfo=AMSTERDAM)  # CET
    meeting = make_meeting(organiser=staff, starts_at=start, ends_at=end)
    content = client.get(_ics_url(meeting)).content
    event = _one(content)
    assert event["start"].astimezone(AMSTERDAM).timetuple()[:5] == (*sunday.timetuple()[:3],
                                                                    1, 30)
    assert event["end"].astimezone(AMSTERDAM).timetuple()[:5] == (*sunday.timetuple()[:3],
                                                                  4, 30)
    assert event["start"].utcoffset() == timedelta(hours=2)
    assert event["end"].astimezone(AMSTERDAM).utcoffset() == timedelta(hours=1)
    # Three hours on the wall clock, four real ones: the clock goes back at 03:00.
    assert _utc(event["end"]) - _utc(event["start"]) == timedelta(hours=4)
    assert _utc(event["start"]) == _utc(start) and _utc(event["end"]) == _utc(end)
    text = content.decode()
    assert "DTSTART;TZID=Europe/Amsterdam:" + start.strftime("%Y%m%dT%H%M%S") in text
    assert "DTEND;TZID=Europe/Amsterdam:" + end.strftime("%Y%m%dT%H%M%S") in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Amsterdam" in text


@pytest.mark.parametrize("year", range(2020, 2041))
def test_the_vtimezone_agrees_with_the_zone_database_on_every_change(year):
    zone = calendar.amsterdam_vtimezone().to_ical().decode()
    text = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//\r\n{zone}END:VCALENDAR\r\n"
    tzinfo = vobject.readOne(text).vtimezone.gettzinfo()
    october, march = _last_sunday_of_october(year), _last_sunday_of_march(year)
    for day, hours in ((october, (1, 4)), (march, (1, 4)), (date(year, 7, 1), (12,)),
                       (date(year, 1, 15), (12,))):
        for hour in hours:
            wall = datetime(day.year, day.month, day.day, hour, 30)
            assert wall.replace(tzinfo=tzinfo).utcoffset() == \
                wall.replace(tzinfo=AMSTERDAM).utcoffset(), wall


def _webinar(staff, **fields) -> Meeting:
    return make_meeting(organiser=staff, kind="webinar", venue_name="", venue_address="",
                        online_url=LINK, **fields)


def test_the_online_link_is_only_in_the_file_of_a_participant(client, staff):
    meeting = _webinar(staff)
    participant, waiting_member = make_user(), make_user()
    services.register(actor=participant, meeting=meeting)
    assert LINK not in client.get(_ics_url(meeting)).content.decode()
    anonymous = _one(client.get(_ics_url(meeting)).content)
    assert anonymous["location"] == "Online"
    client.force_login(waiting_member)  # viewer, no registration
    assert LINK not in client.get(_ics_url(meeting)).content.decode()
    client.force_login(participant)
    response = client.get(_ics_url(meeting))
    event = _one(response.content)
    assert LINK in event["description"] and event["location"] == LINK
    assert response["Cache-Control"] == "private, no-store"


def test_the_participant_version_carries_the_link_and_cancels_with_method_cancel(staff):
    meeting = _webinar(staff, organiser_email="team@example.nl")
    participant = make_user()
    registration = services.register(actor=participant, meeting=meeting)
    event = _one(calendar.participant_file(registration))
    assert (event["method"], event["status"]) == ("PUBLISH", "CONFIRMED")
    assert LINK in event["description"]
    services.cancel_meeting(actor=staff, meeting=meeting, reason="De spreker is ziek.")
    registration.refresh_from_db()
    content = calendar.participant_file(registration)
    cancelled = _one(content)
    assert (cancelled["method"], cancelled["status"], cancelled["sequence"]) == (
        "CANCEL", "CANCELLED", 1)
    assert cancelled["uid"] == event["uid"]
    assert "De spreker is ziek." in cancelled["description"]
    attendee = vobject.readOne(content.decode()).vevent.attendee
    assert attendee.value == f"mailto:{participant.email}"


def test_a_cancellation_without_an_organiser_address_names_the_site_as_organizer(
        staff, settings):
    settings.DEFAULT_FROM_EMAIL = "Werkplaats <noreply@werkplaats.example.nl>"
    meeting = make_meeting(organiser=staff)
    registration = services.register(actor=make_user(), meeting=meeting)
    services.cancel_meeting(actor=staff, meeting=meeting, reason="Te weinig aanmeldingen.")
    registration.refresh_from_db()
    assert _one(calendar.participant_file(registration))["organizer"] == (
        "mailto:noreply@werkplaats.example.nl")


def test_the_download_of_a_cancelled_meeting_is_published_as_cancelled(client, staff):
    meeting = make_meeting(organiser=staff)
    services.cancel_meeting(actor=staff, meeting=meeting, reason="Te weinig aanmeldingen.")
    event = _one(client.get(_ics_url(meeting)).content)
    assert (event["method"], event["status"], event["sequence"]) == ("PUBLISH", "CANCELLED", 1)


@pytest.mark.parametrize("hidden", ["draft", "invite", "region"])
def test_someone_who_may_not_see_the_meeting_gets_a_404_for_its_file(client, staff, hidden):
    region = make_region()
    meeting = make_meeting(organiser=staff, publish=hidden != "draft", region=region,
                           audience={"draft": "open"}.get(hidden, hidden))
    client.force_login(make_user())
    assert client.get(_ics_url(meeting)).status_code == 404
    assert client.get("/bijeenkomsten/999999/agenda.ics").status_code == 404
    client.force_login(staff)
    assert client.get(_ics_url(meeting)).status_code == 200


def test_the_public_feed_holds_open_published_meetings_only(client, staff):
    region = make_region()
    open_meeting = make_meeting(organiser=staff, title="Open")
    recent = start_in_the_past(make_meeting(organiser=staff, title="Net geweest"),
                               hours_ago=30)
    old = make_meeting(organiser=staff, title="Lang geleden")
    Meeting.objects.filter(pk=old.pk).update(starts_at=timezone.now() - timedelta(days=400),
                                             ends_at=timezone.now() - timedelta(days=399))
    make_meeting(organiser=staff, title="Concept", publish=False)
    make_meeting(organiser=staff, title="Genodigden", audience="invite")
    make_meeting(organiser=staff, title="Regio", region=region, audience="region")
    cancelled = make_meeting(organiser=staff, title="Afgelast")
    services.cancel_meeting(actor=staff, meeting=cancelled, reason="Geen zaal.")
    client.force_login(staff)  # what the feed shows does not depend on who asks
    response = client.get(PUBLIC_FEED)
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="werkplaats-agenda.ics"' in response["Content-Disposition"]
    events = _parse(response.content)
    assert [e["summary"] for e in events] == ["Net geweest", "Open"]
    assert {e["uid"] for e in events} == {calendar.meeting_uid(m)
                                          for m in (open_meeting, recent)}
    calendar_name = icalendar.Calendar.from_ical(response.content)["X-WR-CALNAME"]
    with translation.override("nl"):  # Dutch first
        assert str(calendar_name) == translation.gettext("Werkplaats meetings")


def test_the_public_feed_never_carries_an_online_link(client, staff):
    meeting = _webinar(staff)
    services.register(actor=staff, meeting=meeting)
    client.force_login(staff)
    assert LINK not in client.get(PUBLIC_FEED).content.decode()
    assert _one(client.get(PUBLIC_FEED).content)["location"] == "Online"


def _personal_feed_url(user) -> str:
    token = services.renew_feed_token(actor=user).token
    return f"/bijeenkomsten/agenda/{token}.ics"


def test_the_personal_feed_holds_the_meetings_with_a_place_and_their_links(client, staff):
    region = make_region()
    member = make_member(region=region)
    confirmed = _webinar(staff, title="Bevestigd", capacity=1)
    offered = make_meeting(organiser=staff, title="Aangeboden", capacity=1,
                           waiting_list_mode="offer", online_url=LINK + "-aangeboden")
    waiting = make_meeting(organiser=staff, title="Wachtlijst", capacity=1)
    region_only = make_meeting(organiser=staff, title="Regio", region=region,
                               audience="region")
    make_meeting(organiser=staff, title="Niet aangemeld")
    services.register(actor=member, meeting=confirmed)
    services.register(actor=member, meeting=region_only)
    for meeting in (offered, waiting):
        first = make_user()
        services.register(actor=first, meeting=meeting)
        services.register(actor=member, meeting=meeting)
    services.cancel_registration(
        actor=offered.registrations.get(position=1).user,
        registration=offered.registrations.get(position=1))
    assert offered.registrations.get(user=member).status == "offered"
    response = client.get(_personal_feed_url(member))  # no session: the token is the key
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    events = {e["summary"]: e for e in _parse(response.content)}
    assert set(events) == {"Bevestigd", "Aangeboden", "Regio"}
    assert LINK in events["Bevestigd"]["description"]
    assert LINK not in events["Aangeboden"]["description"]  # the place is not taken yet
    assert LINK not in client.get(PUBLIC_FEED).content.decode()


def test_the_personal_feed_tells_of_a_cancelled_meeting(client, staff):
    member = make_user()
    meeting = make_meeting(organiser=staff)
    services.register(actor=member, meeting=meeting)
    services.cancel_meeting(actor=staff, meeting=meeting, reason="Geen zaal.")
    (event,) = _parse(client.get(_personal_feed_url(member)).content)
    assert (event["status"], event["sequence"]) == ("CANCELLED", 1)


def test_a_cancelled_registration_leaves_the_personal_feed(client, staff):
    member = make_user()
    meeting = make_meeting(organiser=staff)
    registration = services.register(actor=member, meeting=meeting)
    url = _personal_feed_url(member)
    services.cancel_registration(actor=member, registration=registration)
    assert _parse(client.get(url).content) == []


def test_a_new_address_replaces_the_old_one(client, staff):
    member = make_user()
    old_url = _personal_feed_url(member)
    assert client.get(old_url).status_code == 200
    client.force_login(member)
    response = client.post("/bijeenkomsten/agenda/nieuw-adres/")
    assert response.status_code == 302
    new_token = CalendarFeedToken.objects.get(user=member).token
    assert client.get(old_url).status_code == 404
    assert client.get(f"/bijeenkomsten/agenda/{new_token}.ics").status_code == 200
    assert len(new_token) >= 43  # 32 random bytes, URL-safe


@pytest.mark.parametrize("token", ["nope", "x" * 43, ""])
def test_a_wrong_token_is_a_404(client, token):
    services.renew_feed_token(actor=make_user())
    assert client.get(f"/bijeenkomsten/agenda/{token}.ics").status_code == 404


def test_the_token_is_found_by_its_digest_and_only_for_an_active_person():
    member = make_user()
    token = services.renew_feed_token(actor=member).token
    assert CalendarFeedToken.objects.get(user=member).digest == selectors.token_digest(token)
    assert selectors.get_feed_owner(token=token) == member
    member.is_active = False
    member.save(update_fields=["is_active"])
    assert selectors.get_feed_owner(token=token) is None


def test_renewing_asks_a_post_from_a_logged_in_person(client):
    assert client.post("/bijeenkomsten/agenda/nieuw-adres/").status_code == 302
    assert not CalendarFeedToken.objects.exists()
    client.force_login(make_user())
    assert client.get("/bijeenkomsten/agenda/nieuw-adres/").status_code == 405


def test_the_overview_shows_the_feeds_and_the_button(client, settings):
    settings.SITE_URL = "https://werkplaats.example.nl"
    html = client.get("/bijeenkomsten/").content.decode()
    assert "webcal://werkplaats.example.nl/bijeenkomsten/agenda.ics" in html
    assert "https://werkplaats.example.nl/bijeenkomsten/agenda.ics" in html
    assert "/bijeenkomsten/agenda/nieuw-adres/" not in html  # anonymous: no personal feed
    member = make_user()
    client.force_login(member)
    html = client.get("/bijeenkomsten/").content.decode()
    assert 'action="/bijeenkomsten/agenda/nieuw-adres/"' in html
    assert "csrfmiddlewaretoken" in html
    token = services.renew_feed_token(actor=member).token
    html = client.get("/bijeenkomsten/").content.decode()
    assert f"webcal://werkplaats.example.nl/bijeenkomsten/agenda/{token}.ics" in html
    assert f"https://werkplaats.example.nl/bijeenkomsten/agenda/{token}.ics" in html


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_feeds_ask_as_many_queries_for_twenty_meetings_as_for_two(
        client, staff, django_assert_num_queries):
    member = make_user()
    personal = _personal_feed_url(member)

    def add_meetings(n):
        for _ in range(n):
            meeting = _webinar(staff)
            services.register(actor=member, meeting=meeting)

    add_meetings(2)
    small_public = _count(client, PUBLIC_FEED)
    small_personal = _count(client, personal)
    add_meetings(18)
    with django_assert_num_queries(small_public):
        assert len(_parse(client.get(PUBLIC_FEED).content)) == 20
    with django_assert_num_queries(small_personal):
        assert len(_parse(client.get(personal).content)) == 20
