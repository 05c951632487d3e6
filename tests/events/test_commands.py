"""manage.py expire_meeting_offers: the scheduled run of services.expire_offers."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from events import services
from events.models import Registration
from tests.events.conftest import make_meeting
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _run() -> str:
    out = StringIO()
    call_command("expire_meeting_offers", stdout=out)
    return out.getvalue()


def test_an_expired_offer_moves_on_to_the_next_person():
    meeting = make_meeting(capacity=1, waiting_list_mode="offer", offer_hours=2)
    first, second, third = (services.register(actor=make_user(), meeting=meeting)
                            for _ in range(3))
    services.cancel_registration(actor=first.user, registration=first)
    second.refresh_from_db()
    assert second.status == "offered"
    assert _run() == ""  # not yet: nothing to say
    Registration.objects.filter(pk=second.pk).update(
        offered_until=timezone.now() - timedelta(minutes=1))
    assert _run() == "1 expired offer(s) ended.\n"
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.status, second.cancellation) == ("cancelled", "offer_expired")
    assert third.status == "offered" and third.offered_until > timezone.now()
    assert _run() == ""  # idempotent
    third.refresh_from_db()
    assert third.status == "offered"
