"""Every moderation write goes through here: views, the admin, commands and receivers alike.

Each function takes the acting user first, asks moderation.permissions, runs in one transaction,
records an audit entry, tells thread readers through forums.events (so live pages update), rings
the review queue's bell and, after commit, sends `signals.content_moderated` for the person whose
content or account it touched. A refused action changes nothing and broadcasts nothing; it is
recorded as refused (outside the rolled-back transaction) and raises PermissionDenied.
"""

import functools
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from forums import events
from forums import services as forum_services
from forums.models import Post, Thread
from live import broadcast
from regions.models import Region

from . import permissions, signals
from .middleware import current_origin
from .models import AuditEntry, Flag, MemberWarning, RegionModerationSettings, Suspension

MAX_REASON = 1000

# --- Audit log -----------------------------------------------------------------------------


def _describe(obj) -> tuple[str, int | None, str]:
    if obj is None:
        return "", None, ""
    if isinstance(obj, Post):
        return "post", obj.pk, f"#{obj.position or '–'} · {obj.thread.title}"[:300]
    if isinstance(obj, Thread):
        return "thread", obj.pk, obj.title[:300]
    if isinstance(obj, get_user_model()):
        return "user", obj.pk, f"{obj.display_name} ({obj.username})"[:300]
    return obj._meta.model_name, obj.pk, str(obj)[:300]


def record(*, actor: User | None, action: str, obj=None, region: Region | None = None,
           result: str = AuditEntry.Result.SUCCESS, reason: str = "",
           before: dict | None = None, after: dict | None = None,
           object_label: str = "") -> AuditEntry:
    """Append one entry to the audit log. `before`/`after` hold plain values of what an edit
    changed; never pass passwords, tokens, session keys or other secrets."""
    object_type, object_id, label = _describe(obj)
    origin = current_origin.get()
    actor_label = ""
    if actor is not None and actor.is_authenticated:
        actor_label = f"{actor.display_name} ({actor.username})"[:200]
    else:
        actor = None
    return AuditEntry.objects.create(
        actor=actor, actor_label=actor_label, action=action, object_type=object_type,
        object_id=object_id, object_label=object_label or label, region=region, result=result,
        ip_address=origin.ip_address, user_agent=origin.user_agent, reason=reason,
        before=before, after=after,
    )


class _Refused(PermissionDenied):
    def __init__(self, message: str, entry: dict):
        super().__init__(message)
        self.entry = entry


def _refuse(actor: User, action: str, obj=None, region: Region | None = None,
            message: str = "") -> PermissionDenied:
    """The exception a service raises when the actor may not act; `refusals_recorded` logs it
    once the action's transaction has rolled back."""
    return _Refused(message or _("Only this region's moderators can do this."),
                    {"actor": actor, "action": action, "obj": obj, "region": region})


def refusals_recorded(function):
    """Outside the service's transaction: a refused attempt is still written to the log."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except _Refused as refused:
            record(**refused.entry, result=AuditEntry.Result.DENIED)
            raise PermissionDenied(*refused.args) from None
    return wrapper


def _region_of(post_or_thread) -> Region | None:
    thread = post_or_thread.thread if isinstance(post_or_thread, Post) else post_or_thread
    return thread.forum.region


# --- Bells: the queue, the author ----------------------------------------------------------

def queue_changed(region_id: int | None) -> None:
    """The review queue of this region changed: open queue pages refresh (the database is the
    truth; the socket only says "refresh")."""
    def ring():
        event = {"type": "queue.changed", "region_id": region_id}
        if region_id is not None:
            broadcast.send_now(broadcast.moderation_group(region_id), event)
        broadcast.send_now(broadcast.moderation_group(None), event)
    transaction.on_commit(ring)


def _notify(action: str, *, actor: User, recipient: User, reason: str = "",
            post: Post | None = None, thread: Thread | None = None,
            region: Region | None = None) -> None:
    if recipient is None or (actor is not None and recipient.pk == actor.pk):
        return
    transaction.on_commit(lambda: signals.content_moderated.send(
        sender=AuditEntry, action=action, actor=actor, recipient=recipient, reason=reason,
        post=post, thread=thread, region=region))


def _clean_reason(reason: str, *, required: bool = True) -> str:
    reason = (reason or "").replace("\x00", "").strip()
    if required and not reason:
        raise ValidationError({"reason": _("Give a reason: the author sees it.")})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("At most %(n)d characters, please.")
                               % {"n": MAX_REASON}})
    return reason


def _locked_post(post: Post) -> Post:
    return Post.objects.select_related("thread__forum__region", "author__profile") \
        .select_for_update(of=("self",), no_key=True).get(pk=post.pk)


# --- Settings ------------------------------------------------------------------------------

SETTINGS_TTL = 3600


def settings_cache_key(region_id: int) -> str:
    return f"moderation-settings:{region_id}"


def settings_for(region: Region | None, *, cached: bool = True,
                 fetched: dict | None = None) -> RegionModerationSettings:
    """The region's settings, or the defaults (unsaved) when it has none. Every reply asks
    (moderation/guard.py), so they are kept in the cache and forgotten when a row is saved or
    deleted (receivers.py); cached=False reads the row, for a change. fetched: the caller's
    own get_many of the cache, settings_cache_key among the keys (a miss there is a miss)."""
    if region is None:
        return RegionModerationSettings()
    if cached:
        key = settings_cache_key(region.pk)
        values = fetched.get(key) if fetched is not None else cache.get(key)
        if values is not None:
            return RegionModerationSettings(region=region, **values)
    found = RegionModerationSettings.objects.filter(region=region).first()
    current = found or RegionModerationSettings(region=region)
    # add, not set: a reader that fetched the row before a change committed must not
    # overwrite what the change put in after its commit (remember_settings).
    cache.add(settings_cache_key(region.pk), _cached_values(current), SETTINGS_TTL)
    return current


def _cached_values(row: RegionModerationSettings) -> dict:
    return {"pk": row.pk, "flag_threshold": row.flag_threshold,
            "approval_posts": row.approval_posts}


def forget_settings(region_id: int) -> None:
    cache.delete(settings_cache_key(region_id))


def remember_settings(region_id: int, row: RegionModerationSettings | None) -> None:
    """After a change commits: the cache holds the new values (defaults once deleted)."""
    cache.set(settings_cache_key(region_id),
              _cached_values(row or RegionModerationSettings()), SETTINGS_TTL)


@refusals_recorded
@transaction.atomic
def update_settings(*, actor: User, region: Region, flag_threshold: int,
                    approval_posts: int) -> RegionModerationSettings:
    if not permissions.can_moderate(actor, region):
        raise _refuse(actor, "settings.changed", region=region)
    current = settings_for(region, cached=False)
    before = {"flag_threshold": current.flag_threshold,
              "approval_posts": current.approval_posts}
    current.flag_threshold, current.approval_posts = flag_threshold, approval_posts
    current.full_clean()
    current.save()
    record(actor=actor, action="settings.changed", obj=region, region=region, before=before,
           after={"flag_threshold": flag_threshold, "approval_posts": approval_posts})
    return current


# --- Flags ---------------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def flag_post(*, actor: User, post: Post, reason: str, text: str = "") -> Flag:
    """One flag per member per post. Enough distinct flags (the region's threshold) hide the
    post pending review; a moderator's flag hides it at once."""
    post = _locked_post(post)
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
    record(actor=actor, action="post.flagged", obj=post, region=region,
           reason=f"{label}: {text}" if text else label)
    if not post.is_hidden:
        if permissions.can_moderate_post(actor, post):
            _hide(post, actor=actor, reason=f"{label}: {text}" if text else label,
                  close_flags=False)
        else:
            count = Flag.objects.filter(post=post, is_open=True).count()
            threshold = settings_for(region).flag_threshold
            if threshold and count >= threshold:
                _hide(post, actor=None, reason=_(
                    "Hidden after %(n)d flags from members, pending review.") % {"n": count},
                    close_flags=False)
    queue_changed(region.pk if region else None)
    return flag


# --- Post actions --------------------------------------------------------------------------

def _hide(post: Post, *, actor: User | None, reason: str, close_flags: bool) -> None:
    post.is_hidden = True
    post.hidden_reason = reason[:MAX_REASON]
    post.hidden_at = timezone.now()
    post.hidden_by = actor
    post.save(update_fields=["is_hidden", "hidden_reason", "hidden_at", "hidden_by"])
    if close_flags:
        Flag.objects.filter(post=post, is_open=True).update(is_open=False)
    forum_services.search.remove_post(post)
    events.post_changed(post, post.thread, "post.hidden")
    region = _region_of(post)
    record(actor=actor, action="post.hidden", obj=post, region=region, reason=reason)
    _notify("hidden", actor=actor, recipient=post.author, reason=reason, post=post,
            thread=post.thread, region=region)


@refusals_recorded
@transaction.atomic
def hide_post(*, actor: User, post: Post, reason: str) -> Post:
    post = _locked_post(post)
    if not permissions.can_moderate_post(actor, post):
        raise _refuse(actor, "post.hidden", post, _region_of(post))
    reason = _clean_reason(reason)
    if post.is_deleted:
        raise ValidationError(_("This post has been deleted."))
    if post.is_hidden:
        # Hidden by flags, now confirmed by a moderator: the decision closes the flags.
        post.hidden_by, post.hidden_reason = actor, reason
        post.save(update_fields=["hidden_by", "hidden_reason"])
        Flag.objects.filter(post=post, is_open=True).update(is_open=False)
        record(actor=actor, action="post.hidden", obj=post, region=_region_of(post),
               reason=reason)
        _notify("hidden", actor=actor, recipient=post.author, reason=reason, post=post,
                thread=post.thread, region=_region_of(post))
    else:
        _hide(post, actor=actor, reason=reason, close_flags=True)
    queue_changed(post.thread.forum.region_id)
    return post


@refusals_recorded
@transaction.atomic
def restore_post(*, actor: User, post: Post, reason: str = "") -> Post:
    post = _locked_post(post)
    if not permissions.can_moderate_post(actor, post):
        raise _refuse(actor, "post.restored", post, _region_of(post))
    reason = _clean_reason(reason, required=False)
    if not post.is_hidden:
        raise ValidationError(_("This post is not hidden."))
    before = {"hidden_reason": post.hidden_reason}
    post.is_hidden, post.hidden_reason, post.hidden_at, post.hidden_by = False, "", None, None
    post.save(update_fields=["is_hidden", "hidden_reason", "hidden_at", "hidden_by"])
    Flag.objects.filter(post=post, is_open=True).update(is_open=False)
    forum_services.search.index_post(post)
    events.post_changed(post, post.thread, "post.restored")
    region = _region_of(post)
    record(actor=actor, action="post.restored", obj=post, region=region, reason=reason,
           before=before)
    _notify("restored", actor=actor, recipient=post.author, reason=reason, post=post,
            thread=post.thread, region=region)
    queue_changed(post.thread.forum.region_id)
    return post


@refusals_recorded
@transaction.atomic
def delete_post(*, actor: User, post: Post, reason: str) -> Post:
    post = _locked_post(post)
    if not permissions.can_moderate_post(actor, post):
        raise _refuse(actor, "post.deleted", post, _region_of(post))
    reason = _clean_reason(reason)
    if post.is_deleted:
        raise ValidationError(_("This post has been deleted."))
    forum_services.delete_post(actor=actor, post=post)
    Flag.objects.filter(post=post, is_open=True).update(is_open=False)
    region = _region_of(post)
    record(actor=actor, action="post.deleted", obj=post, region=region, reason=reason)
    _notify("deleted", actor=actor, recipient=post.author, reason=reason, post=post,
            thread=post.thread, region=region)
    queue_changed(post.thread.forum.region_id)
    return post


@refusals_recorded
@transaction.atomic
def edit_post(*, actor: User, post: Post, body: str, note: str) -> Post:
    """A moderator's edit: a new version like any edit (the history keeps the old one), with a
    note shown under the post to everyone."""
    post = _locked_post(post)
    if not permissions.can_moderate_post(actor, post):
        raise _refuse(actor, "post.edited", post, _region_of(post))
    note = (note or "").replace("\x00", "").strip()
    if not note:
        raise ValidationError({"note": _("Add a note: readers see why a moderator edited.")})
    if len(note) > 500:
        raise ValidationError({"note": _("At most %(n)d characters, please.") % {"n": 500}})
    before = {"body": post.body, "moderator_note": post.moderator_note}
    post.moderator_note = note
    post.save(update_fields=["moderator_note"])
    post = forum_services.edit_post(actor=actor, post=post, body=body)
    region = _region_of(post)
    record(actor=actor, action="post.edited", obj=post, region=region, reason=note,
           before=before, after={"body": post.body, "moderator_note": note})
    _notify("edited", actor=actor, recipient=post.author, reason=note, post=post,
            thread=post.thread, region=region)
    return post


@refusals_recorded
@transaction.atomic
def dismiss_flags(*, actor: User, post: Post, reason: str = "") -> int:
    """The flags were unfounded: close them, and bring back a post the flags hid."""
    post = _locked_post(post)
    if not permissions.can_moderate_post(actor, post):
        raise _refuse(actor, "flags.dismissed", post, _region_of(post))
    reason = _clean_reason(reason, required=False)
    closed = Flag.objects.filter(post=post, is_open=True).update(is_open=False)
    if post.is_hidden and post.hidden_by_id is None:
        post.is_hidden, post.hidden_reason, post.hidden_at = False, "", None
        post.save(update_fields=["is_hidden", "hidden_reason", "hidden_at"])
        forum_services.search.index_post(post)
        events.post_changed(post, post.thread, "post.restored")
        _notify("restored", actor=actor, recipient=post.author, reason=reason, post=post,
                thread=post.thread, region=_region_of(post))
    record(actor=actor, action="flags.dismissed", obj=post, region=_region_of(post),
           reason=reason, after={"flags_closed": closed})
    queue_changed(post.thread.forum.region_id)
    return closed


# --- People --------------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def suspend(*, actor: User, user: User, region: Region | None, reason: str,
            ends_at: datetime | None) -> Suspension:
    if not permissions.can_suspend(actor, user, region, indefinite=ends_at is None):
        if ends_at is None and permissions.can_moderate(actor, region):
            raise _refuse(actor, "user.suspended", user, region,
                          _("Only staff suspend indefinitely: choose an end date."))
        raise _refuse(actor, "user.suspended", user, region)
    reason = _clean_reason(reason)
    if ends_at is not None and ends_at <= timezone.now():
        raise ValidationError({"ends_at": _("The end must lie in the future.")})
    suspension = Suspension.objects.create(user=user, region=region, reason=reason,
                                           ends_at=ends_at, created_by=actor)
    record(actor=actor, action="user.suspended", obj=user, region=region, reason=reason,
           after={"region": region.name if region else None,
                  "until": ends_at.isoformat() if ends_at else None})
    transaction.on_commit(lambda: _participation_changed(user))
    _notify("suspended", actor=actor, recipient=user, reason=reason, region=region)
    return suspension


def _participation_changed(user: User) -> None:
    permissions.forget_suspensions(user)
    # Open thread sockets of this user re-check what they may do (forums/consumers.py).
    broadcast.send_now(broadcast.user_group(user.pk), {"type": "participation.changed"})


@refusals_recorded
@transaction.atomic
def lift_suspension(*, actor: User, suspension: Suspension, reason: str = "") -> Suspension:
    # A site-wide suspension has no region: lock only the suspension row, not the outer join.
    suspension = (Suspension.objects.select_for_update(of=("self",), no_key=True)
                  .select_related("user", "region").get(pk=suspension.pk))
    if not permissions.can_lift(actor, suspension):
        raise _refuse(actor, "user.unsuspended", suspension.user, suspension.region)
    if suspension.lifted_at is not None:
        raise ValidationError(_("This suspension has already been lifted."))
    suspension.lifted_at, suspension.lifted_by = timezone.now(), actor
    suspension.save(update_fields=["lifted_at", "lifted_by"])
    reason = _clean_reason(reason, required=False)
    record(actor=actor, action="user.unsuspended", obj=suspension.user,
           region=suspension.region, reason=reason)
    user = suspension.user
    transaction.on_commit(lambda: _participation_changed(user))
    _notify("unsuspended", actor=actor, recipient=user, reason=reason,
            region=suspension.region)
    return suspension


@refusals_recorded
@transaction.atomic
def warn(*, actor: User, user: User, region: Region | None, message: str) -> MemberWarning:
    if not permissions.can_warn(actor, user, region):
        raise _refuse(actor, "user.warned", user, region)
    message = (message or "").replace("\x00", "").strip()
    if not message:
        raise ValidationError({"message": _("Write the message to the member.")})
    if len(message) > 2000:
        raise ValidationError({"message": _("At most %(n)d characters, please.") % {"n": 2000}})
    warning = MemberWarning.objects.create(user=user, region=region, message=message,
                                           created_by=actor)
    record(actor=actor, action="user.warned", obj=user, region=region, reason=message)
    _notify("warned", actor=actor, recipient=user, reason=message, region=region)
    return warning
