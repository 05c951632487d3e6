"""How often a member may post, counted from the database (the database is the truth: no cache
to lose or to disagree between processes). forums.services asks here before every new post and
thread, so pages, fetch posting and any other entry point obey the same limits.

settings.FORUM_POSTS_PER_MINUTE: posts (replies and new threads) per user per minute.
settings.FORUM_NEW_ACCOUNT_THREADS_PER_HOUR: new threads per hour for accounts younger than
settings.FORUM_NEW_ACCOUNT_HOURS. A limit of 0 switches it off.

A refusal is a ValidationError (the form keeps what was typed) saying when posting works again.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import ngettext

from accounts.models import User

from .models import Post, Thread

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def _again_at(created: list[datetime], limit: int, window: timedelta) -> datetime | None:
    """When the oldest of the last `limit` writes leaves the window, or None when fewer than
    `limit` writes fall inside it. `created` is newest first, at most `limit` long."""
    if limit <= 0 or len(created) < limit:
        return None
    return created[limit - 1] + window


def _refuse(message: str, at: datetime, **params) -> ValidationError:
    # Rounded up to the next minute: "at 14:32" must not arrive before it is true.
    local = timezone.localtime(at)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + MINUTE
    return ValidationError(message % {"time": time_format(local, "H:i"), **params},
                           code="rate_limited")


def _available_at(model, user: User, limit: int, window: timedelta) -> datetime | None:
    def recent() -> list[datetime]:
        since = timezone.now() - window
        return list(model.objects.filter(author=user, created_at__gt=since)
                    .order_by("-created_at").values_list("created_at", flat=True)[:limit])

    created = recent()
    if len(created) >= limit - 1 and transaction.get_connection().in_atomic_block:
        # One short of the limit: two requests at once could both pass. Take the author's row
        # lock (held until the caller's transaction ends) and count again, so they queue.
        User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").first()
        created = recent()
    return _again_at(created, limit, window)


def post_available_at(user: User) -> datetime | None:
    limit = settings.FORUM_POSTS_PER_MINUTE
    if limit <= 0:
        return None
    return _available_at(Post, user, limit, MINUTE)


def thread_available_at(user: User) -> datetime | None:
    limit = settings.FORUM_NEW_ACCOUNT_THREADS_PER_HOUR
    young = user.date_joined > timezone.now() - timedelta(hours=settings.FORUM_NEW_ACCOUNT_HOURS)
    if limit <= 0 or not young:
        return None
    return _available_at(Thread, user, limit, HOUR)


def check_post(user: User) -> None:
    """Raises ValidationError when the user has posted too often in the last minute."""
    at = post_available_at(user)
    if at is not None:
        n = settings.FORUM_POSTS_PER_MINUTE
        raise _refuse(ngettext("You have posted %(n)d message in the last minute. You can post "
                               "again at %(time)s.",
                               "You have posted %(n)d messages in the last minute. You can post "
                               "again at %(time)s.", n), at, n=n)


def check_new_thread(user: User) -> None:
    """A new thread is also a post: both limits apply."""
    at = thread_available_at(user)
    if at is not None:
        n = settings.FORUM_NEW_ACCOUNT_THREADS_PER_HOUR
        raise _refuse(ngettext("New accounts start at most %(n)d thread an hour. You can start "
                               "a new thread again at %(time)s.",
                               "New accounts start at most %(n)d threads an hour. You can start "
                               "a new thread again at %(time)s.", n), at, n=n)
    check_post(user)
