"""Meetings as iCalendar (RFC 5545, through the icalendar library): one meeting's file and
the feeds that calendar programs subscribe to.

A meeting keeps its UID for life and its SEQUENCE rises with every change of time or place
(services.update_meeting, services.cancel_meeting), so a calendar that already holds it
replaces it instead of adding a second one. Times carry TZID Europe/Amsterdam with its
VTIMEZONE, so a meeting across a change to or from summer time keeps its wall-clock times.
Whether the online link goes in is decided by the caller through events.permissions.
"""

import html
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _
from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vUTCOffset,
)

from . import permissions
from .models import Meeting, Registration

PRODID = "-//Werkplaats//Bijeenkomsten//NL"
TZID = "Europe/Amsterdam"  # settings.TIME_ZONE, the one zone meetings are held in
PUBLISH, CANCEL = "PUBLISH", "CANCEL"
# How often a subscribed calendar should look again (Outlook and Apple read one or the other).
REFRESH_HOURS = 6


def meeting_uid(meeting: Meeting) -> str:
    return f"meeting-{meeting.pk}@{urlsplit(settings.SITE_URL).hostname}"


def page_url(meeting: Meeting) -> str:
    return settings.SITE_URL + meeting.get_absolute_url()


def subscription_urls(path: str) -> dict[str, str]:
    """A feed's address twice: webcal:// (a click opens the calendar program and subscribes)
    and https:// (to paste into a web calendar)."""
    https = settings.SITE_URL + path
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def _plain(description_html: str) -> str:
    text = html.unescape(strip_tags(description_html))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _description(meeting: Meeting, *, online_link: bool) -> str:
    parts = []
    if meeting.status == Meeting.Status.CANCELLED:
        parts.append(" ".join(filter(None, (_("This meeting has been cancelled."),
                                            meeting.cancelled_reason))))
    parts.append(_plain(meeting.description_html))
    if online_link and meeting.online_url:
        parts.append(_("Online link: %(url)s") % {"url": meeting.online_url})
    parts.append(_("Programme and registration: %(url)s") % {"url": page_url(meeting)})
    return "\n\n".join(part for part in parts if part)


def _location(meeting: Meeting, *, online_link: bool) -> str:
    address = ", ".join(line.strip() for line in meeting.venue_address.splitlines()
                        if line.strip())
    place = ", ".join(part for part in (meeting.venue_name, address) if part)
    if place or not meeting.online_url:
        return place
    return meeting.online_url if online_link else "Online"


def _address(email: str, name: str = "") -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = name
    return address


def meeting_event(meeting: Meeting, *, online_link: bool, stamp: datetime) -> Event:
    """The VEVENT; `online_link`: whether its reader may see the link (ask permissions)."""
    zone = ZoneInfo(TZID)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    event.add("dtstart", meeting.starts_at.astimezone(zone))
    event.add("dtend", meeting.ends_at.astimezone(zone))
    event.add("summary", meeting.title)
    event.add("description", _description(meeting, online_link=online_link))
    location = _location(meeting, online_link=online_link)
    if location:
        event.add("location", location)
    event.add("url", page_url(meeting))
    if meeting.organiser_email:
        event.add("organizer", _address(meeting.organiser_email, meeting.organiser_name))
    cancelled = meeting.status == Meeting.Status.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def amsterdam_vtimezone() -> Timezone:
    """Europe/Amsterdam as the EU rule (since 1996: the last Sundays of March and October,
    at 01:00 UTC), in the RRULE form Outlook writes itself. icalendar's generated zone
    (add_missing_timezones) lists every change as an RDATE, which Outlook ignores and
    vobject reads wrongly for a meeting on the night the clock goes back."""
    zone = Timezone()
    zone.add("tzid", "Europe/Amsterdam")
    # DTSTART: the first change under the rule, in the local time it happens at.
    for kind, offsets, first in ((TimezoneStandard, ("+0200", "+0100"), (10, 27, 3)),
                                 (TimezoneDaylight, ("+0100", "+0200"), (3, 31, 2))):
        month = first[0]
        observance = kind()
        observance.add("dtstart", datetime(1996, *first))
        observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        observance.add("tzoffsetfrom", vUTCOffset.from_ical(offsets[0]))
        observance.add("tzoffsetto", vUTCOffset.from_ical(offsets[1]))
        observance.add("tzname", "CET" if kind is TimezoneStandard else "CEST")
        zone.add_component(observance)
    return zone


def _calendar(events: list[Event], meetings: list[Meeting], *, method: str,
              name: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
        calendar.add("x-published-ttl", f"PT{REFRESH_HOURS}H")
        calendar.add("refresh-interval", timedelta(hours=REFRESH_HOURS),
                     parameters={"VALUE": "DURATION"})
    for event in events:
        calendar.add_component(event)
    if meetings:
        calendar.add_component(amsterdam_vtimezone())
    return calendar.to_ical()


def meeting_file(meeting: Meeting, *, viewer) -> bytes:
    """The download from the meeting page (METHOD:PUBLISH); the caller checked can_view."""
    event = meeting_event(meeting, stamp=timezone.now(),
                          online_link=permissions.can_view_online_link(viewer, meeting))
    return _calendar([event], [meeting], method=PUBLISH)


def participant_file(registration: Registration) -> bytes:
    """The file a registration's own mail carries: the online link when they may see it,
    and for a cancelled meeting a METHOD:CANCEL the calendar acts on (RFC 5546 asks an
    ORGANIZER and the ATTENDEE it removes)."""
    meeting = registration.meeting
    event = meeting_event(meeting, stamp=timezone.now(),
                          online_link=permissions.registration_sees_online_link(registration))
    if meeting.status != Meeting.Status.CANCELLED:
        return _calendar([event], [meeting], method=PUBLISH)
    if not meeting.organiser_email:
        sender_name, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
        event.add("organizer", _address(sender, sender_name))
    email = registration.guest_email if registration.is_guest else registration.user.email
    event.add("attendee", _address(email, registration.name))
    return _calendar([event], [meeting], method=CANCEL)


def feed(meetings: Iterable[Meeting], *, online_link_ids: Iterable[int] = (),
         name: str) -> bytes:
    """A subscribed calendar: `meetings` (already filtered by the caller), the online link
    in those whose ids are in `online_link_ids`."""
    meetings, with_link, stamp = list(meetings), set(online_link_ids), timezone.now()
    events = [meeting_event(m, online_link=m.pk in with_link, stamp=stamp) for m in meetings]
    return _calendar(events, meetings, method=PUBLISH, name=name)
