"""The rules the database keeps itself, whatever writes to it."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.models import Meeting, ProgrammeItem, Registration
from tests.factories import make_region, make_user

pytestmark = pytest.mark.django_db


def _meeting(**fields) -> Meeting:
    start = timezone.now() + timedelta(days=10)
    values = {"title": "Werkplaatsbijeenkomst", "starts_at": start,
              "ends_at": start + timedelta(hours=4), "created_by": make_user(staff=True)}
    values.update(fields)
    return Meeting.objects.create(**values)


def _refused(**fields) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _meeting(**fields)


def test_a_meeting_that_ends_before_it_starts_is_refused_by_the_database():
    start = timezone.now()
    _refused(starts_at=start, ends_at=start)


def test_registration_closing_after_the_start_is_refused_by_the_database():
    start = timezone.now() + timedelta(days=3)
    _refused(starts_at=start, ends_at=start + timedelta(hours=2),
             registration_closes_at=start + timedelta(minutes=1))


def test_a_meeting_for_region_members_needs_a_region_in_the_database():
    _refused(audience=Meeting.Audience.REGION)
    assert _meeting(audience=Meeting.Audience.REGION, region=make_region()).pk


def test_zero_places_is_refused_but_empty_means_unlimited():
    _refused(capacity=0)
    assert _meeting(capacity=None).capacity is None


def test_one_active_registration_per_member_but_a_new_one_after_cancelling():
    meeting, user = _meeting(), make_user()
    Registration.objects.create(meeting=meeting, user=user, status="cancelled", position=1)
    Registration.objects.create(meeting=meeting, user=user, status="confirmed", position=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, user=user, status="waiting", position=3)


def test_one_active_registration_per_guest_address_whatever_its_case():
    meeting = _meeting()
    Registration.objects.create(meeting=meeting, guest_name="Gast", guest_email="gast@rijk.nl",
                                status="pending_confirmation", position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, guest_name="Gast",
                                    guest_email="Gast@Rijk.nl", status="confirmed", position=2)


def test_a_registration_is_a_members_or_a_guests_never_neither():
    meeting = _meeting()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, status="confirmed", position=1)


def test_an_offered_place_has_a_deadline():
    meeting = _meeting()
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, user=make_user(), status="offered",
                                    position=1)


def test_arrival_order_is_unique_within_a_meeting():
    meeting = _meeting()
    Registration.objects.create(meeting=meeting, user=make_user(), status="waiting", position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Registration.objects.create(meeting=meeting, user=make_user(), status="waiting",
                                    position=1)


def test_only_a_parallel_session_has_places_of_its_own():
    meeting = _meeting()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgrammeItem.objects.create(meeting=meeting, title="Plenair", capacity=20,
                                     starts_at=meeting.starts_at, ends_at=meeting.ends_at)
    assert ProgrammeItem.objects.create(meeting=meeting, title="Workshop", capacity=20,
                                        is_session=True, starts_at=meeting.starts_at,
                                        ends_at=meeting.ends_at).pk


def test_clean_says_each_rule_beside_its_field():
    start = timezone.now() + timedelta(days=3)
    meeting = Meeting(title="T", starts_at=start, ends_at=start - timedelta(hours=1),
                      registration_closes_at=start + timedelta(hours=1),
                      audience=Meeting.Audience.REGION, kind=Meeting.Kind.WEBINAR,
                      status=Meeting.Status.PUBLISHED)
    with pytest.raises(ValidationError) as refused:
        meeting.clean()
    assert set(refused.value.error_dict) == {"ends_at", "registration_closes_at", "audience",
                                             "online_url"}


def test_past_is_derived_from_the_end_not_stored():
    meeting = _meeting(status=Meeting.Status.PUBLISHED)
    assert meeting.state == "published"
    Meeting.objects.filter(pk=meeting.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1))
    meeting.refresh_from_db()
    assert meeting.state == "past" and meeting.status == Meeting.Status.PUBLISHED
