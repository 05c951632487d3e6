"""Builders for meetings, through the services where it matters, and a recorder for the
signals events sends after commit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services, signals
from events.models import Meeting
from tests.factories import make_user

SIGNALS = ("meeting_published", "registration_confirmed", "place_offered",
           "moved_off_waiting_list", "meeting_changed", "meeting_cancelled",
           "registration_cancelled_by_organiser")


def make_meeting(*, organiser=None, region=None, publish: bool = True, days_ahead: int = 14,
                 hours: int = 4, **fields) -> Meeting:
    organiser = organiser or make_user(staff=True, mfa=True)
    start = (timezone.now() + timedelta(days=days_ahead)).replace(microsecond=0)
    values = {"title": "Werkplaatsbijeenkomst Zegveld", "starts_at": start,
              "ends_at": start + timedelta(hours=hours), "venue_name": "Dorpshuis Zegveld",
              "venue_address": "Dorpsweg 1, Zegveld"}
    values.update(fields)
    meeting = services.create_meeting(actor=organiser, region=region, **values)
    if publish:
        meeting = services.publish_meeting(actor=organiser, meeting=meeting)
    return meeting


def start_in_the_past(meeting: Meeting, *, hours_ago: int = 1, hours: int = 4) -> Meeting:
    """The meeting as if the clock had moved past its start."""
    start = timezone.now() - timedelta(hours=hours_ago)
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=start, ends_at=start + timedelta(hours=hours), registration_closes_at=None,
        registration_opens_at=None)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def sent():
    """[(signal name, kwargs)] in the order sent; run the services under
    django_capture_on_commit_callbacks(execute=True) to see them."""
    received = []
    receivers = []
    for name in SIGNALS:
        def receiver(sender, signal, _name=name, **kwargs):
            received.append((_name, kwargs))
        getattr(signals, name).connect(receiver, weak=False)
        receivers.append((name, receiver))
    yield received
    for name, receiver in receivers:
        getattr(signals, name).disconnect(receiver)
