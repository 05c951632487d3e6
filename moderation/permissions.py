"""Who may moderate what. Every moderation view, service and socket asks here.

Region moderators (with MFA) act in their own regions; staff (with MFA) everywhere, and alone
on national forums and site-wide suspensions. A region moderator suspended in a region (or
site-wide) has no moderator powers there while the suspension runs (`paused_by_suspension`).
Built on regions.permissions (roles, MFA) and forums.permissions (who sees what): a moderator
never acts on what they cannot see.
"""

import time

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.mfa import MFARequired, has_mfa
from forums import permissions as forum_permissions
from forums.models import Forum, Post, Thread
from regions import permissions as region_permissions
from regions.models import Region, Role

from .models import Suspension


def paused_by_suspension(user, region_id: int | None) -> bool:
    """A region moderator suspended in this region, or site-wide, does not moderate here while
    the suspension runs: moderating is taking part with more power, so a suspension that stops
    them posting stops their decisions too. Staff keep their powers: those are the site's, not
    a region's, and only staff suspend staff (a staff member who must not moderate loses
    is_staff). The lower apps ask it too, through the participation adapter (adapter.py):
    regions.permissions (members, requests, roles, forums) and forums.permissions."""
    return user.is_authenticated and not user.is_staff and \
        suspension_in(user, region_id) is not None


def holds_moderator_role(user, region: Region | None) -> bool:
    """The role, before the MFA requirement (to send the user to set it up); paused in a
    region where the moderator is suspended."""
    if not user.is_authenticated:
        return False
    if region is None:
        return user.is_staff
    return region_permissions.holds_moderator_role(user, region) and \
        not paused_by_suspension(user, region.pk)


def holds_any_moderator_role(user) -> bool:
    return user.is_authenticated and (user.is_staff or any(
        role == Role.MODERATOR and not paused_by_suspension(user, region_id)
        for region_id, role in region_permissions.member_roles(user).items()))


def can_moderate(user, region: Region | None) -> bool:
    return holds_moderator_role(user, region) and has_mfa(user)


def can_moderate_everywhere(user) -> bool:
    return user.is_authenticated and user.is_staff and has_mfa(user)


def moderated_region_ids(user) -> set[int] | None:
    """The regions whose queue and log the user sees; None means all (staff)."""
    if not user.is_authenticated or not has_mfa(user):
        return set()
    if user.is_staff:
        return None
    return {rid for rid, role in region_permissions.member_roles(user).items()
            if role == Role.MODERATOR and not paused_by_suspension(user, rid)}


def moderated_regions(user, regions: QuerySet[Region]) -> QuerySet[Region]:
    ids = moderated_region_ids(user)
    return regions if ids is None else regions.filter(pk__in=ids)


def can_moderate_thread(user, thread: Thread) -> bool:
    return forum_permissions.can_view_thread(user, thread) and \
        can_moderate(user, thread.forum.region)


def can_moderate_forum(user, forum: Forum) -> bool:
    """Where a moderator may move a thread or split posts to: a forum they see and moderate
    (a national forum: staff)."""
    return forum_permissions.can_view_forum(user, forum) and can_moderate(user, forum.region)


def moderated_forums(user, forums: QuerySet[Forum]) -> QuerySet[Forum]:
    """The list filter of can_moderate_forum: forums of the regions the user moderates (all
    for staff), never archived ones (a move target must be open)."""
    forums = forum_permissions.visible_forums(user, forums).filter(is_archived=False)
    ids = moderated_region_ids(user)
    return forums if ids is None else forums.filter(region_id__in=ids)


def can_moderate_post(user, post: Post) -> bool:
    return can_moderate_thread(user, post.thread)


def can_view_hidden(user, post: Post) -> bool:
    """A hidden post's text: its moderators, and its author (who wrote it anyway)."""
    return user.is_authenticated and (
        post.author_id == user.pk or can_moderate_post(user, post))


def can_flag(user, post: Post) -> bool:
    if not user.is_authenticated or post.is_deleted or post.is_hidden or post.is_pending \
            or post.author_id == user.pk:
        return False
    return forum_permissions.can_take_part(user, post.thread.forum)


def can_suspend(user, target, region: Region | None, *, indefinite: bool) -> bool:
    """Region moderators suspend for a time in their region; staff also site-wide and
    indefinitely. Nobody suspends themself, and only staff suspend staff."""
    if not user.is_authenticated or target.pk == user.pk:
        return False
    if target.is_staff or indefinite or region is None:
        return can_moderate_everywhere(user)
    return can_moderate(user, region)


def can_lift(user, suspension: Suspension) -> bool:
    if suspension.region_id is None or suspension.ends_at is None:
        return can_moderate_everywhere(user)
    return can_moderate(user, suspension.region)


def can_warn(user, target, region: Region | None) -> bool:
    return user.is_authenticated and target.pk != user.pk and can_moderate(user, region)


def can_vouch(user, target, region: Region) -> bool:
    """Let a member's first posts in the region through (approvals.py): a moderator of the
    region, for someone else."""
    return user.is_authenticated and target.pk != user.pk and can_moderate(user, region)


def can_view_audit(user, region: Region | None) -> bool:
    """region None: the combined log, staff only."""
    return can_moderate_everywhere(user) if region is None else can_moderate(user, region)


# --- Gates of the moderation pages: PermissionDenied, or MFARequired for a moderator without a
# second factor (accounts.middleware sends them to set it up) ---------------------------------

def _moderators_need_mfa() -> MFARequired:
    return MFARequired(_("Moderators must use two-factor authentication. "
                         "Set it up to use moderator powers."))


def refusal(user, region: Region | None, message: str) -> PermissionDenied:
    """The refusal to raise; a moderator suspended there sees why and until when instead
    (moderation.middleware.SuspensionNoticeMiddleware)."""
    if region is not None and paused_by_suspension(user, region.pk):
        participation_barred(user, region.pk)  # notes it for the page
    return PermissionDenied(message)


def _turned_away(user, region: Region | None, message: str) -> PermissionDenied:
    if holds_moderator_role(user, region):
        return _moderators_need_mfa()
    return refusal(user, region, message)


def require_moderate(user, region: Region | None) -> None:
    """region None: everywhere (staff)."""
    if not can_moderate(user, region):
        raise _turned_away(user, region, _("Only this region's moderators can do this.")
                           if region else _("Only staff can do this."))


def require_moderate_post(user, post: Post) -> None:
    if not can_moderate_post(user, post):
        raise _turned_away(user, post.thread.forum.region,
                           _("Only this region's moderators can do this."))


def require_moderate_thread(user, thread: Thread) -> None:
    if not can_moderate_thread(user, thread):
        raise _turned_away(user, thread.forum.region,
                           _("Only this region's moderators can do this."))


def require_moderator_mfa(user) -> None:
    """Before any review queue: a moderator (of any region, or staff) without a second factor
    is sent to set one up."""
    if holds_any_moderator_role(user) and not has_mfa(user):
        raise _moderators_need_mfa()


def moderates_post(user, post: Post) -> bool:
    """can_moderate_post for a page that members see too (a hidden post's page): False for
    them, but a moderator of the post's region without a second factor is sent to set one
    up rather than shown the members' page."""
    if can_moderate_post(user, post):
        return True
    if holds_moderator_role(user, post.thread.forum.region):
        raise _moderators_need_mfa()
    return False


def require_moderate_anywhere(user, regions: list[Region]) -> None:
    """The member pages: `regions` are those the user moderates (staff: every region)."""
    if regions or can_moderate_everywhere(user):
        return
    if holds_any_moderator_role(user):
        raise _moderators_need_mfa()
    raise PermissionDenied(_("Only moderators can do this."))


def require_view_audit(user, region: Region | None) -> None:
    if can_view_audit(user, region):
        return
    if holds_moderator_role(user, region):
        raise _moderators_need_mfa()
    raise PermissionDenied(_("Only this region's moderators read its log.") if region
                           else _("Only staff read the combined log."))


# --- Suspensions, as forums.permissions asks about them --------------------------------------

_SUSPENSIONS_ATTR = "_moderation_suspensions"
# One request asks several times; reuse its answer briefly, but no longer: a socket's user
# object lives for hours. Sockets also drop the memo when told to check again (services
# delete the shared cache entry before they tell them).
_REUSE_SECONDS = 2


def _cache_key(user_id: int) -> str:
    return f"moderation:suspensions:{user_id}"


def forget_suspensions(user) -> None:
    """After a suspension changes: the next check reads the database."""
    cache.delete(_cache_key(user.pk))
    forget_memo(user)


def forget_memo(user) -> None:
    """Drop what this user object remembers (the shared cache stays)."""
    if user is not None and hasattr(user, _SUSPENSIONS_ATTR):
        delattr(user, _SUSPENSIONS_ATTR)


def _active_suspensions(user) -> list[dict]:
    """This user's current and future suspensions, from the user object, the shared cache
    (most users: an empty list, no query), or the database."""
    cached = getattr(user, _SUSPENSIONS_ATTR, None)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    key = _cache_key(user.pk)
    rows = cache.get(key)
    if rows is None:
        now = timezone.now()
        rows = [
            {"id": s.pk, "region_id": s.region_id, "reason": s.reason,
             "ends_at": s.ends_at.timestamp() if s.ends_at else None,
             "starts_at": s.starts_at.timestamp()}
            for s in Suspension.objects.filter(user=user, lifted_at__isnull=True)
            .exclude(ends_at__lte=now)
        ]
        cache.set(key, rows, 3600)
    setattr(user, _SUSPENSIONS_ATTR, (time.monotonic() + _REUSE_SECONDS, rows))
    return rows


def suspension_in(user, region_id: int | None) -> dict | None:
    """The suspension that bars the user from taking part in this region's forums (a
    site-wide one bars everywhere), or None. Past ends count as over at once."""
    if not user.is_authenticated:
        return None
    now = time.time()
    for row in _active_suspensions(user):
        if row["starts_at"] <= now and (row["ends_at"] is None or row["ends_at"] > now) \
                and row["region_id"] in (None, region_id):
            return row
    return None


def participation_barred(user, region_id: int | None) -> str | None:
    """Why the user may not take part (forums.permissions asks through adapter.py)."""
    row = suspension_in(user, region_id)
    if row is None:
        return None
    user._moderation_barred_by = row  # the 403 page (middleware) shows why and until when
    return row["reason"]
