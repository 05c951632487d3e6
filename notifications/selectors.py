"""What a reader's inbox shows: only notifications whose subject they may still see (membership
can change between the event and the reading), newest activity first."""

from django.core.cache import cache
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from forums import permissions as forum_permissions
from forums.models import Thread
from regions import permissions as region_permissions
from regions.models import Region

from . import permissions
from .kinds import Kind
from .models import Notification

UNREAD_TTL = 30  # seconds; every write forgets the count at once, the TTL covers lost rights


def _unread_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


# Kinds whose whole point is one post: when that post is deleted or hidden, they go too.
ABOUT_ONE_POST = (Kind.MENTION, Kind.QUOTE, Kind.NEW_THREAD, Kind.NEW_REPORT)


def _post_gone(notification: Notification) -> bool:
    post = notification.post
    return post is not None and (post.is_deleted or post.is_hidden)


def visible_filter(user) -> Q:
    """Notifications the recipient may still see: their thread is readable now, the post they
    point at is still there, and a membership request is in a region they still manage.
    The badge count and the list both use it, so they always agree."""
    readable = forum_permissions.visible_threads(user, Thread.objects.all()).values("pk")
    post_gone = Q(post__is_deleted=True) | Q(post__is_hidden=True)
    managed = region_permissions.manageable_regions(user, Region.objects.all()).values("pk")
    return ((Q(thread__isnull=True) | Q(thread__in=readable))
            & ~(Q(kind__in=ABOUT_ONE_POST) & post_gone)
            & ~(Q(kind=Kind.REPLY, count=1) & post_gone)
            & (~Q(kind=Kind.MEMBERSHIP_REQUEST) | Q(region__in=managed)))


def inbox(user) -> QuerySet[Notification]:
    return (Notification.objects.filter(recipient=user).filter(visible_filter(user))
            .select_related("actor__profile", "thread__forum__region", "post", "region")
            .order_by("-updated_at", "-pk"))


def unread_count(user) -> int:
    # The Redis cache fails open (core/cache.py): without Redis the database answers.
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = inbox(user).filter(read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def forget_unread_counts(user_ids) -> None:
    cache.delete_many([_unread_key(uid) for uid in user_ids])


def latest(user, limit: int = 8) -> list[Notification]:
    return [n for n in inbox(user)[:limit] if can_show(user, n)]


def can_show(user, notification: Notification) -> bool:
    """The check made again when a notification is shown, opened or mailed."""
    if not permissions.is_own_notification(user, notification) or not user.is_active:
        return False
    if notification.thread_id is not None \
            and not forum_permissions.can_view_thread(user, notification.thread):
        return False
    if notification.kind in ABOUT_ONE_POST and _post_gone(notification):
        return False
    if notification.kind == Kind.REPLY and notification.count == 1 and _post_gone(notification):
        return False
    if notification.kind == Kind.MEMBERSHIP_REQUEST and notification.region is not None:
        return region_permissions.can_manage_region(user, notification.region)
    return True


def get_own_notification(*, viewer, pk: int) -> Notification:
    """The viewer's notification with what opening it needs; 404 for anyone else's."""
    notifications = Notification.objects.select_related("thread__forum__region", "post", "region")
    return get_object_or_404(permissions.own_notifications(viewer, notifications), pk=pk)
