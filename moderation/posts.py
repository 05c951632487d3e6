"""Moderators' decisions on posts, and members' flags that ask for one: flag, hide, restore,
delete, edit with a note, dismiss flags.

Each takes the acting user first, asks moderation.permissions on the locked post, runs in one
transaction, has forums make the change (forums.structure, forums.services: search, counters
and the thread's live event come with it), records an audit entry, refreshes the review queues
and tells the author, with the reason, after commit. A refused action changes nothing and
broadcasts nothing; it is logged as refused and raises PermissionDenied.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from forums import services as forum_services
from forums import structure
from forums.models import Post
from regions.models import Region

from . import permissions
from .audit import MAX_REASON, clean_reason, record, refusals_recorded, refuse
from .models import Flag
from .notices import queue_changed, tell
from .region_settings import settings_for

MAX_NOTE = 500


def _region_of(post: Post) -> Region | None:
    return post.thread.forum.region


def _locked_post(actor: User, post: Post, action: str) -> Post:
    """The post, locked, once the actor may moderate it."""
    post = structure.locked_post(post.pk)
    if not permissions.can_moderate_post(actor, post):
        raise refuse(actor, action, post, _region_of(post))
    return post


def _close_flags(post: Post) -> int:
    return Flag.objects.filter(post=post, is_open=True).update(is_open=False)


def decided(action: str, notice: str, *, actor: User, post: Post, reason: str,
            before: dict | None = None, after: dict | None = None) -> None:
    """A moderator's decision on a post (`action` in the log, `notice` for its author): in the
    log, told to the author after commit, and the region's review queue refreshed."""
    region = _region_of(post)
    record(actor=actor, action=action, obj=post, region=region, reason=reason, before=before,
           after=after)
    tell(notice, actor=actor, recipient=post.author, reason=reason, post=post,
         thread=post.thread, region=region)
    queue_changed(post.thread.forum.region_id)


# --- Flags ---------------------------------------------------------------------------------

def _hidden(post: Post, *, actor: User | None, reason: str) -> None:
    """Hidden on a flag (actor None: enough of them); recorded, the author told."""
    structure.hide_post(post=post, hidden_by=actor, reason=reason)
    region = _region_of(post)
    record(actor=actor, action="post.hidden", obj=post, region=region, reason=reason)
    tell("hidden", actor=actor, recipient=post.author, reason=reason, post=post,
         thread=post.thread, region=region)


@refusals_recorded
@transaction.atomic
def flag_post(*, actor: User, post: Post, reason: str, text: str = "") -> Flag:
    """One flag per member per post. Enough distinct flags (the region's threshold) hide the
    post pending review; a moderator's flag hides it at once."""
    post = structure.locked_post(post.pk)
    if not permissions.can_flag(actor, post):
        barred = permissions.suspension_in(actor, post.thread.forum.region_id)
        raise PermissionDenied(_("You are suspended: you cannot flag posts.") if barred
                               else _("You cannot flag this post."))
    if reason not in Flag.Reason.values:
        raise ValidationError({"reason": _("Choose one of the reasons.")})
    text = (text or "").replace("\x00", "").strip()
    if reason == Flag.Reason.OTHER and not text:
        raise ValidationError({"text": _("Tell the moderators what is wrong with this post.")})
    if len(text) > MAX_REASON:
        raise ValidationError({"text": _("At most %(n)d characters, please.") % {"n": MAX_REASON}})
    try:
        with transaction.atomic():
            flag = Flag.objects.create(post=post, user=actor, reason=reason, text=text)
    except IntegrityError:
        raise ValidationError(_("You have already flagged this post.")) from None
    region = _region_of(post)
    label = str(Flag.Reason(reason).label)
    shown = f"{label}: {text}" if text else label
    record(actor=actor, action="post.flagged", obj=post, region=region, reason=shown)
    if not post.is_hidden:
        if permissions.can_moderate_post(actor, post):
            _hidden(post, actor=actor, reason=shown)
        else:
            count = Flag.objects.filter(post=post, is_open=True).count()
            threshold = settings_for(region).flag_threshold
            if threshold and count >= threshold:
                _hidden(post, actor=None, reason=_(
                    "Hidden after %(n)d flags from members, pending review.") % {"n": count})
    queue_changed(region.pk if region else None)
    return flag


# --- Decisions -----------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def hide_post(*, actor: User, post: Post, reason: str) -> Post:
    """A post hidden by flags and now confirmed by a moderator stays hidden, as their
    decision; either way the decision closes the open flags."""
    post = _locked_post(actor, post, "post.hidden")
    reason = clean_reason(reason)
    if post.is_deleted:
        raise ValidationError(_("This post has been deleted."))
    structure.hide_post(post=post, hidden_by=actor, reason=reason)
    _close_flags(post)
    decided("post.hidden", "hidden", actor=actor, post=post, reason=reason)
    return post


@refusals_recorded
@transaction.atomic
def restore_post(*, actor: User, post: Post, reason: str = "") -> Post:
    post = _locked_post(actor, post, "post.restored")
    reason = clean_reason(reason, required=False)
    if not post.is_hidden:
        raise ValidationError(_("This post is not hidden."))
    before = {"hidden_reason": post.hidden_reason}
    structure.restore_post(post=post)
    _close_flags(post)
    decided("post.restored", "restored", actor=actor, post=post, reason=reason, before=before)
    return post


@refusals_recorded
@transaction.atomic
def delete_post(*, actor: User, post: Post, reason: str) -> Post:
    post = _locked_post(actor, post, "post.deleted")
    reason = clean_reason(reason)
    if post.is_deleted:
        raise ValidationError(_("This post has been deleted."))
    forum_services.delete_post(actor=actor, post=post)
    _close_flags(post)
    decided("post.deleted", "deleted", actor=actor, post=post, reason=reason)
    return post


@refusals_recorded
@transaction.atomic
def edit_post(*, actor: User, post: Post, body: str, note: str) -> Post:
    """A moderator's edit: a new version like any edit (the history keeps the old one), with a
    note shown under the post to everyone."""
    post = _locked_post(actor, post, "post.edited")
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": _("Add a note: readers see why a moderator edited.")})
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": _("At most %(n)d characters, please.") % {"n": MAX_NOTE}})
    before = {"body": post.body, "moderator_note": post.moderator_note}
    post = forum_services.edit_post(actor=actor, post=post, body=body, moderator_note=note)
    region = _region_of(post)
    record(actor=actor, action="post.edited", obj=post, region=region, reason=note,
           before=before, after={"body": post.body, "moderator_note": note})
    tell("edited", actor=actor, recipient=post.author, reason=note, post=post,
         thread=post.thread, region=region)
    return post


@refusals_recorded
@transaction.atomic
def dismiss_flags(*, actor: User, post: Post, reason: str = "") -> int:
    """The flags were unfounded: close them, and bring back a post the flags hid."""
    post = _locked_post(actor, post, "flags.dismissed")
    reason = clean_reason(reason, required=False)
    closed = _close_flags(post)
    if post.is_hidden and post.hidden_by_id is None:
        structure.restore_post(post=post)
        tell("restored", actor=actor, recipient=post.author, reason=reason, post=post,
             thread=post.thread, region=_region_of(post))
    record(actor=actor, action="flags.dismissed", obj=post, region=_region_of(post),
           reason=reason, after={"flags_closed": closed})
    queue_changed(post.thread.forum.region_id)
    return closed
