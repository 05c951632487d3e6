"""Whose a notification is: only its recipient sees it, opens it or marks it read. Anyone
else's is not found, the same as a missing one. (Whether its subject may still be shown is
selectors.can_show's question, asked again whenever it is shown.)"""

from django.db.models import QuerySet
from django.http import Http404

from .models import Notification


def own_notifications(user, notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    if not user.is_authenticated:
        return notifications.none()
    return notifications.filter(recipient=user)


def is_own_notification(user, notification: Notification) -> bool:
    return user.is_authenticated and notification.recipient_id == user.pk


def require_own_notification(user, notification: Notification) -> None:
    """Http404 for someone else's notification: the reader learns nothing of it."""
    if not is_own_notification(user, notification):
        raise Http404
