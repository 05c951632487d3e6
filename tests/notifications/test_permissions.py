"""A notification is its recipient's alone: the list filter, the object check, the page lookup
and the service agree, and someone else's is not found (404), the same as a missing one."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from notifications import permissions, selectors, services
from notifications.kinds import Delivery, Kind
from notifications.models import Notification
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _notification_for(recipient) -> Notification:
    return Notification.objects.create(recipient=recipient, kind=Kind.MENTION,
                                       source_key="test:1", delivery=Delivery.IN_APP,
                                       updated_at=timezone.now())


@pytest.mark.parametrize("who", ["recipient", "someone else", "anonymous"])
def test_only_the_recipient_has_a_notification(who):
    recipient = make_user()
    notification = _notification_for(recipient)
    viewer = {"recipient": recipient, "someone else": make_user(),
              "anonymous": AnonymousUser()}[who]
    own = who == "recipient"
    assert permissions.is_own_notification(viewer, notification) is own
    listed = permissions.own_notifications(viewer, Notification.objects.all())
    assert list(listed) == ([notification] if own else [])
    if own:
        assert selectors.get_own_notification(viewer=viewer, pk=notification.pk) == notification
    else:
        with pytest.raises(Http404):
            selectors.get_own_notification(viewer=viewer, pk=notification.pk)


def test_marking_someone_elses_notification_read_is_not_found_and_changes_nothing():
    recipient = make_user()
    notification = _notification_for(recipient)
    with pytest.raises(Http404):
        services.mark_read(user=make_user(), notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is None
    services.mark_read(user=recipient, notification=notification)
    notification.refresh_from_db()
    assert notification.read_at is not None
