"""Staff create and change meetings in the admin through the services: their rules refuse
beside the fields, with nothing written; the programme and registrations are shown only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from events import services
from events.admin import FIELD_ORDER
from events.models import Meeting, Registration
from tests.events.conftest import make_meeting
from tests.factories import make_user

pytestmark = pytest.mark.django_db
INLINES = ("programme", "speakers", "questions", "invitations")


@pytest.fixture
def staff():
    return make_user(staff=True, mfa=True)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _split(moment) -> tuple[str, str]:
    local = timezone.localtime(moment)
    return local.strftime("%d-%m-%Y"), local.strftime("%H:%M:%S")


def _form_data(**values) -> dict:
    start = values.pop("starts_at", timezone.now() + timedelta(days=20))
    end = values.pop("ends_at", start + timedelta(hours=3))
    data = {"kind": "werkplaatsbijeenkomst", "title": "Werkplaatsbijeenkomst Zegveld",
            "description": "Thema: **samen**", "venue_name": "Dorpshuis", "audience": "open",
            "waiting_list_mode": "automatic", "offer_hours": "48", "has_waiting_list": "on"}
    data["starts_at_0"], data["starts_at_1"] = _split(start)
    data["ends_at_0"], data["ends_at_1"] = _split(end)
    for prefix in INLINES:
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(values)
    return data


def test_the_admin_form_covers_what_an_organiser_sets():
    assert set(FIELD_ORDER) == {*services.MEETING_FIELDS, "region", "tags"}


def test_staff_add_a_meeting_through_the_service(staff_client, staff):
    response = staff_client.post(reverse("admin:events_meeting_add"), _form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    meeting = Meeting.objects.get()
    assert (meeting.status, meeting.created_by) == ("draft", staff)
    assert "<strong>samen</strong>" in meeting.description_html  # rendered by the service


def test_an_impossible_meeting_is_refused_beside_its_field_with_nothing_written(staff_client):
    start = timezone.now() + timedelta(days=20)
    response = staff_client.post(reverse("admin:events_meeting_add"), _form_data(
        starts_at=start, ends_at=start - timedelta(hours=1)))
    assert response.status_code == 200
    assert "ends_at" in response.context["adminform"].form.errors
    assert not Meeting.objects.exists()


def test_capacity_below_the_places_taken_is_refused_in_the_admin(staff_client, staff):
    meeting = make_meeting(organiser=staff, capacity=5)
    for _ in range(3):
        services.register(actor=make_user(), meeting=meeting)
    url = reverse("admin:events_meeting_change", args=[meeting.pk])
    data = _form_data(starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                      title=meeting.title, description="", venue_name=meeting.venue_name,
                      venue_address=meeting.venue_address, capacity="2")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "capacity" in response.context["adminform"].form.errors
    meeting.refresh_from_db()
    assert (meeting.capacity, meeting.sequence) == (5, 0)
    response = staff_client.post(url, {**data, "capacity": "10", "venue_name": "Kerk"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.capacity, meeting.venue_name, meeting.sequence) == (10, "Kerk", 1)


def test_the_publish_action_goes_through_the_service(staff_client, staff):
    ready = make_meeting(organiser=staff, publish=False)
    nowhere = make_meeting(organiser=staff, publish=False, venue_name="")
    staff_client.post(reverse("admin:events_meeting_changelist"), {
        "action": "publish", "_selected_action": [ready.pk, nowhere.pk]})
    ready.refresh_from_db()
    nowhere.refresh_from_db()
    assert (ready.status, nowhere.status) == ("published", "draft")


def test_registrations_are_shown_not_changed(staff_client, staff):
    meeting = make_meeting(organiser=staff)
    registration = services.register(actor=make_user(), meeting=meeting)
    assert staff_client.get(reverse("admin:events_registration_changelist")).status_code == 200
    change = reverse("admin:events_registration_change", args=[registration.pk])
    staff_client.post(change, {"status": "cancelled"})
    assert Registration.objects.get(pk=registration.pk).status == "confirmed"
    assert staff_client.get(reverse("admin:events_registration_add")).status_code == 403
