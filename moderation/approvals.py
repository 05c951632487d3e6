"""The approval of first posts (the new-member guard): a member's first posts in a region wait
for a moderator's approval.

How many is the region's `RegionModerationSettings.approval_posts` (default 1, 0 is off).
Never held: staff, the region's moderators and regional reporters, and members a moderator has
vouched for in that region. National forums belong to no region and are not guarded.

forums asks `must_wait` (through forums.permissions.ParticipationAdapter, see adapter.py) and
writes a waiting post without publishing it; approve/decline/vouch here are the moderators'
writes, audited like every other moderation action.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from forums import services as forum_services
from forums.models import Forum, Post
from regions import permissions as region_permissions
from regions.models import Region, Role

from . import permissions
from .audit import clean_reason, record, refusals_recorded, refuse
from .models import Vouch
from .notices import queue_changed
from .posts import decided
from .region_settings import settings_cache_key, settings_for

NEVER_HELD_ROLES = (Role.MODERATOR, Role.REPORTER)


def must_wait(user, forum: Forum) -> bool:
    """Does this user's new post in this forum wait for approval? Cheapest questions first:
    most posts are by members whose roles are cached and who have enough published posts."""
    if not settings.MODERATION_NEW_MEMBER_GUARD or forum.region_id is None:
        return False
    if not user.is_authenticated or user.is_staff:
        return False
    if region_permissions.member_roles(user).get(forum.region_id) in NEVER_HELD_ROLES:
        return False
    # A member once past the guard stays past it for a day (for as many posts as were needed
    # then: a region that asks for more counts again). Their approved posts may later move
    # to another region with their thread; they were approved here all the same. One cache
    # round trip reads that and the region's settings.
    passed_key = f"guard-passed:{forum.region_id}:{user.pk}"
    cached = cache.get_many([settings_cache_key(forum.region_id), passed_key])
    needed = settings_for(forum.region, fetched=cached).approval_posts
    if needed <= 0:
        return False
    if (cached.get(passed_key) or 0) >= needed:
        return False
    published = Post.objects.filter(author=user, is_pending=False,
                                     thread__forum__region_id=forum.region_id)[:needed].count()
    if published >= needed:
        cache.set(passed_key, needed, 24 * 3600)
        return False
    return not Vouch.objects.filter(user=user, region_id=forum.region_id).exists()


@refusals_recorded
@transaction.atomic
def approve_post(*, actor: User, post: Post, reason: str = "") -> Post:
    """Publish the waiting post exactly as a new post is published now (forums.services)."""
    post = Post.objects.select_related("thread__forum__region").get(pk=post.pk)
    if not permissions.can_moderate_post(actor, post):
        raise refuse(actor, "post.approved", post, post.thread.forum.region)
    reason = clean_reason(reason, required=False)
    opens_thread = post.thread.is_pending
    post = forum_services.approve_post(actor=actor, post=post)
    decided("post.approved", "approved", actor=actor, post=post, reason=reason,
            after={"position": post.position, "thread_published": opens_thread})
    return post


@refusals_recorded
@transaction.atomic
def decline_post(*, actor: User, post: Post, reason: str) -> Post:
    """Keep the waiting post out for good; its author reads the reason."""
    post = Post.objects.select_related("thread__forum__region").get(pk=post.pk)
    if not permissions.can_moderate_post(actor, post):
        raise refuse(actor, "post.declined", post, post.thread.forum.region)
    reason = clean_reason(reason)
    post = forum_services.decline_post(actor=actor, post=post)
    decided("post.declined", "declined", actor=actor, post=post, reason=reason,
            after={"thread_declined": post.thread.is_declined})
    return post


@transaction.atomic
def withdraw_post(*, actor: User, post: Post) -> bool:
    """The author takes back their waiting post (forums.services.withdraw_post); it leaves the
    review queue, whose open pages refresh after commit. Not audited: the log records what
    moderators decide (and refused attempts), and like deleting one's own post or withdrawing
    a membership request, this is an author's own action on what only they wrote. Returns
    whether the post's waiting thread went with it."""
    region_id = post.thread.forum.region_id
    thread_went = forum_services.withdraw_post(actor=actor, post=post)
    queue_changed(region_id)
    return thread_went


def is_vouched(user: User, region: Region) -> bool:
    return Vouch.objects.filter(user=user, region=region).exists()


@refusals_recorded
@transaction.atomic
def vouch(*, actor: User, user: User, region: Region, reason: str = "") -> Vouch:
    """The member's posts in this region no longer wait for approval."""
    if not permissions.can_vouch(actor, user, region):
        raise refuse(actor, "user.vouched", user, region)
    reason = clean_reason(reason, required=False)
    if is_vouched(user, region):
        raise ValidationError(_("You have already vouched for this member in %(region)s.")
                              % {"region": region.name})
    found = Vouch.objects.create(user=user, region=region, vouched_by=actor)
    record(actor=actor, action="user.vouched", obj=user, region=region, reason=reason)
    return found


@refusals_recorded
@transaction.atomic
def withdraw_vouch(*, actor: User, user: User, region: Region, reason: str = "") -> None:
    if not permissions.can_vouch(actor, user, region):
        raise refuse(actor, "user.unvouched", user, region)
    reason = clean_reason(reason, required=False)
    deleted, _detail = Vouch.objects.filter(user=user, region=region).delete()
    if not deleted:
        raise ValidationError(_("Nobody has vouched for this member in %(region)s.")
                              % {"region": region.name})
    record(actor=actor, action="user.unvouched", obj=user, region=region, reason=reason)
