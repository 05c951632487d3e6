"""Moderators' decisions on whole threads: lock, pin, rename, kind, tags, move, merge and split.

Each takes the acting user first, asks moderation.permissions for the thread and for every
forum or thread it touches (on the rows forums.structure locked), runs in one transaction, has
forums make the change (forums.structure: counters, search, redirects and the readers' events
come with it), records an audit entry with before/after, and tells the affected author, with
the reason, after commit. A refused action changes nothing and broadcasts nothing; it is logged
as refused and raises PermissionDenied. Bad input raises ValidationError (keyed by the form
field it belongs to), also with nothing changed.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from forums import services as forum_services
from forums import structure
from forums.models import Forum, Tag, Thread
from notifications import services as notification_services

from . import permissions
from .audit import clean_reason, record, refusals_recorded, refuse
from .notices import queues_changed, tell


def _locked_thread(actor: User, thread: Thread, action: str) -> Thread:
    """The thread, locked, once the actor may moderate it."""
    thread = structure.locked_thread(thread.pk)
    _check_thread(actor, thread, action)
    return thread


def _check_thread(actor: User, thread: Thread, action: str) -> None:
    if not permissions.can_moderate_thread(actor, thread):
        raise refuse(actor, action, thread, thread.forum.region)


def _target_forum(actor: User, forum: Forum, action: str, thread: Thread) -> Forum:
    """The forum to move the thread or the split posts to, once the actor may use it."""
    forum = Forum.objects.select_related("region").get(pk=forum.pk)
    if not permissions.can_moderate_forum(actor, forum):
        raise refuse(actor, action, thread, forum.region,
                     _("You can only move threads to forums you moderate."))
    if forum.is_archived:
        raise ValidationError({"forum": _("This forum is archived.")})
    return forum


def _also_in_other_region(*, actor: User, action: str, obj, thread: Thread, forum: Forum,
                          reason: str, before: dict, after: dict) -> None:
    """Threads that left for another region: its moderators find the entry in their log too."""
    if forum.region_id != thread.forum.region_id and forum.region is not None:
        record(actor=actor, action=action, obj=obj, region=forum.region, reason=reason,
               before=before, after=after)


# --- Flags: lock, pin ---------------------------------------------------------------------------

def _set_flag(*, actor: User, thread: Thread, field: str, value: bool, reason: str,
              names: tuple[str, str], already: str) -> Thread:
    notice = names[0] if value else names[1]
    action = f"thread.{notice}"
    thread = _locked_thread(actor, thread, action)
    reason = clean_reason(reason, required=False)
    if getattr(thread, field) == value:
        raise ValidationError(already)
    forum_services.set_thread_flags(actor=actor, thread=thread, **{field: value})
    region = thread.forum.region
    record(actor=actor, action=action, obj=thread, region=region, reason=reason,
           before={field: not value}, after={field: value})
    tell(notice, actor=actor, recipient=thread.author, reason=reason, thread=thread,
         region=region)
    return thread


@refusals_recorded
@transaction.atomic
def set_locked(*, actor: User, thread: Thread, locked: bool, reason: str = "") -> Thread:
    return _set_flag(actor=actor, thread=thread, field="is_locked", value=locked, reason=reason,
                     names=("locked", "unlocked"),
                     already=_("This thread is locked already.") if locked
                     else _("This thread is not locked."))


@refusals_recorded
@transaction.atomic
def set_pinned(*, actor: User, thread: Thread, pinned: bool, reason: str = "") -> Thread:
    return _set_flag(actor=actor, thread=thread, field="is_pinned", value=pinned, reason=reason,
                     names=("pinned", "unpinned"),
                     already=_("This thread is pinned already.") if pinned
                     else _("This thread is not pinned."))


# --- Title, kind, tags --------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def rename_thread(*, actor: User, thread: Thread, title: str, reason: str = "") -> Thread:
    thread = _locked_thread(actor, thread, "thread.renamed")
    title = structure.clean_title(title)
    reason = clean_reason(reason, required=False)
    before = {"title": thread.title}
    structure.rename_thread(thread=thread, title=title)
    region = thread.forum.region
    record(actor=actor, action="thread.renamed", obj=thread, region=region, reason=reason,
           before=before, after={"title": thread.title})
    tell("renamed", actor=actor, recipient=thread.author, reason=reason, thread=thread,
         region=region)
    return thread


@refusals_recorded
@transaction.atomic
def change_kind(*, actor: User, thread: Thread, kind: str, reason: str = "") -> Thread:
    """See forums.structure.change_kind; the log keeps which answer a question lost."""
    thread = _locked_thread(actor, thread, "thread.kind_changed")
    reason = clean_reason(reason, required=False)
    before = {"kind": thread.kind}
    dropped_answer = structure.change_kind(thread=thread, kind=kind)
    after = {"kind": thread.kind}
    if dropped_answer:
        before["accepted_answer"], after["accepted_answer"] = dropped_answer, None
    region = thread.forum.region
    record(actor=actor, action="thread.kind_changed", obj=thread, region=region, reason=reason,
           before=before, after=after)
    tell("kind_changed", actor=actor, recipient=thread.author, reason=reason, thread=thread,
         region=region)
    return thread


@refusals_recorded
@transaction.atomic
def set_tags(*, actor: User, thread: Thread, tags: Iterable[Tag], reason: str = "") -> Thread:
    thread = _locked_thread(actor, thread, "thread.retagged")
    reason = clean_reason(reason, required=False)
    before, after = structure.set_tags(thread=thread, tags=tags)
    region = thread.forum.region
    record(actor=actor, action="thread.retagged", obj=thread, region=region, reason=reason,
           before={"tags": before}, after={"tags": after})
    tell("retagged", actor=actor, recipient=thread.author, reason=reason, thread=thread,
         region=region)
    return thread


# --- Move, merge, split -------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def move_thread(*, actor: User, thread: Thread, forum: Forum, reason: str) -> Thread:
    """To another forum, in this region or another one the actor moderates (staff: any); see
    forums.structure.move_thread."""
    thread = _locked_thread(actor, thread, "thread.moved")
    forum = _target_forum(actor, forum, "thread.moved", thread)
    reason = clean_reason(reason)
    source = thread.forum
    before = {"forum_id": source.pk, "forum": str(source)}
    after = {"forum_id": forum.pk, "forum": str(forum)}
    retagged = structure.move_thread(thread=thread, forum=forum)
    if retagged:
        before["tags"], after["tags"] = retagged
    queues_changed(source.region_id, forum.region_id)
    record(actor=actor, action="thread.moved", obj=thread, region=source.region, reason=reason,
           before=before, after=after)
    if forum.region_id != source.region_id and forum.region is not None:
        record(actor=actor, action="thread.moved", obj=thread, region=forum.region,
               reason=reason, before=before, after=after)
    tell("moved", actor=actor, recipient=thread.author, reason=reason, thread=thread,
         region=forum.region)
    return thread


@refusals_recorded
@transaction.atomic
def merge_threads(*, actor: User, thread: Thread, into: Thread, reason: str) -> Thread:
    """`thread`'s posts, watchers and notifications go to `into` (forums.structure.merge_threads;
    opening a notification leads to its post in `into`), its address redirects there. Returns
    `into`."""
    if thread.pk == into.pk:
        raise ValidationError({"into": _("A thread cannot be merged into itself.")})
    # A running reply fan-out of `thread` first (see hold_reply_fanout), then its posts (see
    # lock_posts), then both rows, in id order: two merges of the same pair cannot deadlock.
    notification_services.hold_reply_fanout(thread_id=thread.pk)
    structure.lock_posts(thread.pk)
    locked = structure.locked_threads([thread.pk, into.pk])
    if thread.pk not in locked:  # withdrawn (a waiting thread) or merged meanwhile
        raise ValidationError(_("This thread has been withdrawn or merged meanwhile."))
    if into.pk not in locked:  # merged or removed meanwhile
        raise ValidationError({"into": _("There is no thread you moderate with this number.")})
    thread, into = locked[thread.pk], locked[into.pk]
    _check_thread(actor, thread, "thread.merged")
    if not permissions.can_moderate_thread(actor, into):
        raise refuse(actor, "thread.merged", thread, thread.forum.region,
                     _("There is no thread you moderate with this number."))
    reason = clean_reason(reason)
    # Before the thread's row goes, and with it (on CASCADE) whatever still points at it.
    notification_services.follow_merged_thread(thread_id=thread.pk, into=into)
    merged = structure.merge_threads(thread=thread, into=into)
    count = len(merged.post_ids)
    before = {"thread_id": thread.pk, "title": thread.title, "forum": str(thread.forum),
              "post_count": count}
    after = {"into_thread_id": into.pk, "into_title": into.title,
             "positions": [merged.first_position, merged.first_position + count - 1]
             if count else []}
    record(actor=actor, action="thread.merged", obj=thread, region=thread.forum.region,
           reason=reason, before=before, after=after)
    _also_in_other_region(actor=actor, action="thread.merged", obj=into, thread=thread,
                          forum=into.forum, reason=reason, before=before, after=after)
    queues_changed(thread.forum.region_id, into.forum.region_id)
    tell("merged", actor=actor, recipient=thread.author, reason=reason, thread=into,
         region=into.forum.region)
    return into


@refusals_recorded
@transaction.atomic
def split_thread(*, actor: User, thread: Thread, post_ids: Iterable[int], title: str,
                 forum: Forum, reason: str) -> Thread:
    """The chosen replies into a new thread in `forum` (this one or another the actor
    moderates); see forums.structure.split_thread. Returns the new thread."""
    structure.lock_posts(thread.pk)  # before the thread, see lock_posts
    thread = _locked_thread(actor, thread, "thread.split")
    forum = _target_forum(actor, forum, "thread.split", thread)
    title = structure.clean_title(title)
    reason = clean_reason(reason)
    split = structure.split_thread(thread=thread, post_ids=post_ids, title=title, forum=forum)
    new, moved_ids = split.thread, [p.pk for p in split.posts]
    before = {"thread_id": thread.pk, "post_ids": moved_ids, "positions": split.old_positions}
    after = {"thread_id": new.pk, "title": new.title, "forum": str(forum),
             "positions": list(range(1, len(moved_ids) + 1))}
    record(actor=actor, action="thread.split", obj=thread, region=thread.forum.region,
           reason=reason, before=before, after=after)
    _also_in_other_region(actor=actor, action="thread.split", obj=new, thread=thread,
                          forum=forum, reason=reason, before=before, after=after)
    queues_changed(thread.forum.region_id, forum.region_id)
    for author in {p.author_id: p.author for p in split.posts}.values():
        tell("split", actor=actor, recipient=author, reason=reason, thread=new,
             region=forum.region)
    return new
