"""Who may see and do what in the forums, built on regions.permissions.

Every page, form, search query and feed (and later every socket, notification and API call)
asks here. The queryset filters and the object checks state each rule side by side, and a test
matrix runs both so lists and detail pages agree.

- public forum: anyone reads; members of its region post (anyone logged in, for a national forum)
- members forum: members of its region read and post (anyone logged in, for a national forum)
- staff forum: staff only

Suspensions and the approval of first posts come in through one seam, ParticipationAdapter.
"""

import functools

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.mfa import has_mfa, require_mfa
from regions import permissions as region_permissions
from regions.models import Membership, Role

from .models import Forum, Post, Tag, Thread

PUBLIC, MEMBERS, STAFF = Forum.Visibility.PUBLIC, Forum.Visibility.MEMBERS, Forum.Visibility.STAFF


def _is_staff(user) -> bool:
    return user.is_authenticated and user.is_staff


def _forum_q(user, prefix: str = "") -> Q:
    """The readable-forum rule as a filter; `prefix` points at the forum from another model."""
    public = Q(**{f"{prefix}visibility": PUBLIC})
    if not user.is_authenticated:
        return public
    region_ids = region_permissions.member_region_ids(user)
    member_visible = Q(**{f"{prefix}visibility": MEMBERS}) & (
        Q(**{f"{prefix}region__isnull": True}) | Q(**{f"{prefix}region_id__in": region_ids})
    )
    return public | member_visible


def visible_forums(user, forums: QuerySet[Forum]) -> QuerySet[Forum]:
    if _is_staff(user):
        return forums
    return forums.filter(_forum_q(user), is_archived=False)


def can_view_forum(user, forum: Forum) -> bool:
    if _is_staff(user):
        return True
    if forum.is_archived:
        return False
    if forum.visibility == PUBLIC:
        return True
    if forum.visibility == MEMBERS and user.is_authenticated:
        return forum.region_id is None or region_permissions.is_member(user, forum.region)
    return False


def visible_tags(user, tags: QuerySet[Tag]) -> QuerySet[Tag]:
    """Programme-wide tags for everyone; a region's tags for whoever reads one of its forums:
    who sees nothing of a region does not learn what its threads are about."""
    if _is_staff(user):
        return tags
    readable = visible_forums(user, Forum.objects.filter(region__is_archived=False))
    return tags.filter(Q(region=None) | Q(region_id__in=readable.values("region_id")))


def can_view_tag(user, tag: Tag) -> bool:
    if tag.region_id is None or _is_staff(user):
        return True
    forums = Forum.objects.filter(region_id=tag.region_id, region__is_archived=False)
    return visible_forums(user, forums).exists()


def _moderated_region_ids(user) -> list[int]:
    """Regions whose waiting posts the user sees as a moderator (with MFA). Members without
    a moderator role ask nothing more than their (cached) roles."""
    if not user.is_authenticated:
        return []
    ids = [rid for rid, role in region_permissions.member_roles(user).items()
           if role == Role.MODERATOR]
    if not ids or not has_mfa(user):
        return []
    return [rid for rid in ids if not _moderation_paused(user, rid)]


def _waiting_q(user, prefix: str, region_field: str) -> Q:
    """Published, or waiting for approval and the user is its author or a moderator there."""
    published = Q(**{f"{prefix}is_pending": False})
    if not user.is_authenticated:
        return published
    return published | Q(**{f"{prefix}author": user}) | Q(
        **{f"{region_field}__in": _moderated_region_ids(user)})


def can_view_waiting(user, obj: Thread | Post, forum: Forum) -> bool:
    """A thread or post waiting for approval: its author and the region's moderators."""
    return not obj.is_pending or (user.is_authenticated and obj.author_id == user.pk) \
        or is_moderator(user, forum)


def visible_threads(user, threads: QuerySet[Thread]) -> QuerySet[Thread]:
    if _is_staff(user):
        return threads
    return threads.filter(_forum_q(user, "forum__"), _waiting_q(user, "", "forum__region_id"),
                          forum__is_archived=False)


def can_view_thread(user, thread: Thread) -> bool:
    return can_view_forum(user, thread.forum) and can_view_waiting(user, thread, thread.forum)


def visible_posts(user, posts: QuerySet[Post], *, waiting: bool = True) -> QuerySet[Post]:
    """waiting=False: the caller's rows never hold waiting posts or threads (the search index
    does not: forums.search.index_post leaves them out), so that rule stays out of the query;
    on PostgreSQL it can cost the search its full-text index."""
    if _is_staff(user):
        return posts
    posts = posts.filter(_forum_q(user, "thread__forum__"), thread__forum__is_archived=False)
    if not waiting:
        return posts
    region = "thread__forum__region_id"
    return posts.filter(_waiting_q(user, "thread__", region), _waiting_q(user, "", region))


def can_view_post(user, post: Post) -> bool:
    return can_view_thread(user, post.thread) and \
        can_view_waiting(user, post, post.thread.forum)


class ParticipationAdapter(region_permissions.ParticipationAdapter):
    """Where a higher app comes into the forums' rules: who is barred from taking part for a
    while (moderation: a suspension, which also pauses a moderator's powers) and whose new
    posts wait for a moderator's approval (moderation: the approval of first posts). The site
    names its subclass in settings.PARTICIPATION_ADAPTER; this one holds nobody back."""

    def barred(self, user, region_id: int | None) -> str | None:
        """Why the user may not take part in this region's forums now (region_id None: the
        national forums), or None."""
        return None

    def forget(self, user) -> None:
        """Drop what the adapter remembered on this user object (a socket's user lives for
        hours and asks again when told something changed)."""

    def must_wait(self, user, forum: Forum) -> bool:
        """Does this user's new post in this forum wait for a moderator's approval?"""
        return False


@functools.cache
def participation() -> ParticipationAdapter:
    """settings.PARTICIPATION_ADAPTER, loaded once per process."""
    return region_permissions.load_adapter(ParticipationAdapter)


def reset_participation_cache(user) -> None:
    participation().forget(user)


def must_wait_for_approval(user, forum: Forum) -> bool:
    return participation().must_wait(user, forum)


def participation_barred(user, forum: Forum) -> str | None:
    return participation().barred(user, forum.region_id)


def can_take_part(user, forum: Forum) -> bool:
    """Posting rights in a forum the user can see."""
    if not user.is_authenticated or not can_view_forum(user, forum):
        return False
    if participation_barred(user, forum):
        return False
    if _is_staff(user) or forum.region_id is None:
        return True
    return region_permissions.is_member(user, forum.region)


def _moderation_paused(user, region_id: int | None) -> bool:
    """A region moderator barred from taking part in the region (moderation: suspended there
    or site-wide) does not moderate it meanwhile; staff powers are site-wide and stay."""
    if user.is_staff:
        return False
    return bool(participation().barred(user, region_id))


def is_moderator(user, forum: Forum) -> bool:
    """Moderator of the forum's region (or staff), with MFA; national forums: staff only."""
    if not user.is_authenticated:
        return False
    holds_role = user.is_staff or (
        forum.region_id is not None
        and region_permissions.role_in(user, forum.region) == Role.MODERATOR)
    return holds_role and has_mfa(user) and not _moderation_paused(user, forum.region_id)


def can_start_thread(user, forum: Forum) -> bool:
    if not can_take_part(user, forum):
        return False
    if forum.staff_only_threads:
        return _is_staff(user)
    return True


def can_start_report(user, forum: Forum) -> bool:
    """Reports are for regional reporters and moderators of the region (with MFA)."""
    if not can_start_thread(user, forum) or forum.region_id is None:
        return False
    if not has_mfa(user):
        return False
    return _is_staff(user) or region_permissions.role_in(user, forum.region) in (
        Role.REPORTER, Role.MODERATOR)


def holds_reporter_role(user, forum: Forum) -> bool:
    """The role without the MFA requirement, to send the user to set it up."""
    return forum.region_id is not None and (
        _is_staff(user) or region_permissions.role_in(user, forum.region)
        in (Role.REPORTER, Role.MODERATOR))


def can_reply(user, thread: Thread) -> bool:
    if thread.is_pending or not can_take_part(user, thread.forum):
        return False
    return not thread.is_locked or is_moderator(user, thread.forum)


def can_edit_post(user, post: Post) -> bool:
    # A waiting post is decided on as it was written: approved or declined, not edited.
    if post.is_deleted or post.is_pending or not can_view_thread(user, post.thread):
        return False
    if is_moderator(user, post.thread.forum):
        return True
    if post.is_hidden:  # under review: the author waits for the moderators' decision
        return False
    return user.is_authenticated and post.author_id == user.pk and not post.thread.is_locked \
        and can_take_part(user, post.thread.forum)


def can_delete_post(user, post: Post) -> bool:
    return can_edit_post(user, post)


def can_withdraw_post(user, post: Post) -> bool:
    """Its author takes back a post still waiting for approval (a suspension does not stop
    that: it only takes something out)."""
    return user.is_authenticated and post.author_id == user.pk and post.is_pending \
        and not post.is_deleted


def can_react(user, post: Post) -> bool:
    return not post.is_deleted and not post.is_hidden and not post.is_pending \
        and can_take_part(user, post.thread.forum)


def can_view_history(user, post: Post) -> bool:
    return user.is_authenticated and can_view_thread(user, post.thread) and (
        post.author_id == user.pk or is_moderator(user, post.thread.forum))


def can_accept_answer(user, thread: Thread) -> bool:
    if thread.kind != Thread.Kind.QUESTION or not can_view_thread(user, thread):
        return False
    return (user.is_authenticated and thread.author_id == user.pk) or \
        is_moderator(user, thread.forum)


def can_moderate_thread(user, thread: Thread) -> bool:
    return is_moderator(user, thread.forum)


def can_watch(user, thread: Thread) -> bool:
    return user.is_authenticated and can_view_thread(user, thread)


def can_manage_forums(user, region) -> bool:
    """Add, rename, reorder and archive the forums of a region (national: staff)."""
    if region is None:
        return _is_staff(user) and has_mfa(user)
    return region_permissions.can_manage_region(user, region)


def manageable_forums(user, forums: QuerySet[Forum]) -> QuerySet[Forum]:
    """The forums on a management page (archived ones included, to restore them). Staff-only
    means staff only: a region's moderators neither see nor touch them."""
    return forums if _is_staff(user) else forums.exclude(visibility=STAFF)


def can_manage_forum(user, forum: Forum) -> bool:
    return can_manage_forums(user, forum.region) and (_is_staff(user) or forum.visibility != STAFF)


def can_set_visibility(user, visibility: str) -> bool:
    return _is_staff(user) or visibility != STAFF


def can_curate_tags(user, region) -> bool:
    return can_manage_forums(user, region)


def viewers_q(forum: Forum, prefix: str = "") -> Q:
    """The readable-forum rule turned around: which users may read this forum, as a filter on
    users (`prefix` points at the user from another model). Fan-out asks this once for a whole
    audience instead of asking can_view_forum per recipient; the matrix test keeps the two equal."""
    staff = Q(**{f"{prefix}is_staff": True})
    active = Q(**{f"{prefix}is_active": True})
    if forum.is_archived or forum.visibility == STAFF:
        return staff & active
    if forum.visibility == PUBLIC or forum.region_id is None:
        return active
    members = Membership.objects.filter(region_id=forum.region_id).values("user_id")
    return active & (staff | Q(**{f"{prefix}pk__in": members}))


# --- Gates: checks that raise, with the reason to show ---------------------------------------

class NotVisible(PermissionDenied):
    """Refused because the user may not see the thread at all. Pages answer 404 for it, the
    same as for a thread that does not exist; it is a PermissionDenied for everyone else."""


def refuse_reply(user, thread: Thread) -> None:
    """Why can_reply said no: NotVisible for a thread out of the user's sight, otherwise a
    PermissionDenied with the reason."""
    if not can_view_thread(user, thread):
        raise NotVisible(_("You cannot reply in this thread."))
    if thread.is_locked:
        raise PermissionDenied(_("This thread is locked: no new replies."))
    raise PermissionDenied(_("You cannot reply in this thread."))


def require_start_thread(user, forum: Forum) -> None:
    """The new-thread page: PermissionDenied with the reason; MFARequired for a reporter in a
    reports forum who has no second factor yet (they may start reports once it is set up)."""
    if not can_start_thread(user, forum):
        if forum.staff_only_threads:
            raise PermissionDenied(_("Only the programme team starts threads in this forum."))
        raise PermissionDenied(_("Only members of this region start threads here."))
    if forum.is_reports and holds_reporter_role(user, forum):
        require_mfa(user, _("Reports need two-factor authentication. Set it up first."))


def require_manage_forums(user, region) -> None:
    """The forum management page of a region: PermissionDenied without the moderator role,
    MFARequired with it but without a second factor (see can_manage_forums)."""
    if not region_permissions.holds_moderator_role(user, region):
        raise PermissionDenied(_("Only this region's moderators manage its forums."))
    require_mfa(user, _("Moderators must use two-factor authentication."))
