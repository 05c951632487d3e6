"""Moderators' actions on whole threads: lock, pin, rename, kind, tags, move, merge and split.

Like moderation.services (whose audit log, refusal logging and author notification these use):
the acting user first, moderation.permissions asked for the thread and for every forum or thread
it touches, one transaction with the thread rows locked, an audit entry with before/after, a
forums.events event for the readers (announced after commit), and the affected author told,
with the reason, after commit. A refused action changes nothing and broadcasts nothing; it is
logged as refused and raises PermissionDenied. Bad input raises ValidationError (keyed by the
form field it belongs to), also with nothing changed.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from forums import events, search
from forums import services as forum_services
from forums.models import (
    Forum,
    Post,
    ReportSections,
    Tag,
    Thread,
    ThreadRead,
    ThreadRedirect,
    ThreadSubscription,
)
from notifications import services as notification_services
from regions.models import Region

from . import permissions
from .services import _clean_reason, _notify, _refuse, queue_changed, record, refusals_recorded

MAX_TITLE = 200


def _region(thread: Thread) -> Region | None:
    return thread.forum.region


def _locked_thread(thread: Thread | int) -> Thread:
    pk = thread if isinstance(thread, int) else thread.pk
    return Thread.objects.select_related("forum__region", "author") \
        .select_for_update(of=("self",), no_key=True).get(pk=pk)


def _check_thread(actor: User, thread: Thread, action: str) -> None:
    if not permissions.can_moderate_thread(actor, thread):
        raise _refuse(actor, action, thread, _region(thread))


def _check_target_forum(actor: User, forum: Forum, action: str, thread: Thread) -> None:
    if not permissions.can_moderate_forum(actor, forum):
        raise _refuse(actor, action, thread, forum.region,
                      _("You can only move threads to forums you moderate."))
    if forum.is_archived:
        raise ValidationError({"forum": _("This forum is archived.")})


def _clean_title(title: str) -> str:
    title = (title or "").replace("\x00", "").strip()
    if not title:
        raise ValidationError({"title": _("Give the thread a title.")})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": _("At most %(n)d characters, please.") % {"n": MAX_TITLE}})
    return title


def _forum_label(forum: Forum) -> str:
    return str(forum)


# --- Counters, recomputed in plain sight -------------------------------------------------------

def _refresh_thread_totals(thread_id: int) -> None:
    """post_count, last_position and the last post after posts came or went. Posts waiting
    for approval have no place yet and count nowhere (moderation/guard.py)."""
    posts = Post.objects.filter(thread_id=thread_id, is_pending=False)
    totals = posts.aggregate(n=Count("pk"), last=Max("position"))
    last = posts.order_by("-created_at", "-pk").first()
    Thread.objects.filter(pk=thread_id).update(
        post_count=totals["n"], last_position=totals["last"] or 0, last_post=last,
        last_poster=last.author_id if last else None,
        last_post_at=last.created_at if last else timezone.now())


def _refresh_forum_totals(forum_id: int) -> None:
    threads = Thread.objects.filter(forum_id=forum_id, is_pending=False)
    posts = Post.objects.filter(thread__forum_id=forum_id, is_pending=False)
    last = posts.order_by("-created_at", "-pk").first()
    Forum.objects.filter(pk=forum_id).update(
        thread_count=threads.count(), post_count=posts.count(), last_post=last,
        last_post_at=last.created_at if last else None)


def _renumber(thread_id: int) -> None:
    """Positions 1, 2, 3, … in the present order. Ascending, one row at a time: each post
    moves down into a place already freed, so the unique (thread, position) always holds."""
    for number, (pk, position) in enumerate(
            Post.objects.filter(thread_id=thread_id, is_pending=False).order_by("position")
            .values_list("pk", "position"), start=1):
        if position != number:
            Post.objects.filter(pk=pk).update(position=number)


def _queues_changed(from_region_id: int | None, to_region_id: int | None) -> None:
    """Posts changed region: flagged ones now wait in the other region's review queue."""
    if from_region_id != to_region_id:
        queue_changed(from_region_id)
        queue_changed(to_region_id)


def _reindex(post_ids: Iterable[int]) -> None:
    for post in Post.objects.filter(pk__in=list(post_ids)).select_related("thread"):
        search.index_post(post)


# --- Flags: lock, pin ---------------------------------------------------------------------------

def _set_flag(*, actor: User, thread: Thread, field: str, value: bool, reason: str,
              names: tuple[str, str], already: str) -> Thread:
    notice = names[0] if value else names[1]
    action = f"thread.{notice}"
    thread = _locked_thread(thread)
    _check_thread(actor, thread, action)
    reason = _clean_reason(reason, required=False)
    if getattr(thread, field) == value:
        raise ValidationError(already)
    forum_services.set_thread_flags(actor=actor, thread=thread, **{field: value})
    region = _region(thread)
    record(actor=actor, action=action, obj=thread, region=region, reason=reason,
           before={field: not value}, after={field: value})
    _notify(notice, actor=actor, recipient=thread.author, reason=reason, thread=thread,
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
    thread = _locked_thread(thread)
    _check_thread(actor, thread, "thread.renamed")
    title = _clean_title(title)
    reason = _clean_reason(reason, required=False)
    if title == thread.title:
        raise ValidationError({"title": _("This is the title already.")})
    before = {"title": thread.title}
    thread.title = title
    thread.save(update_fields=["title"])
    search.index_thread(thread)
    events.thread_changed(thread)  # thread.updated: open pages show the new title
    region = _region(thread)
    record(actor=actor, action="thread.renamed", obj=thread, region=region, reason=reason,
           before=before, after={"title": title})
    _notify("renamed", actor=actor, recipient=thread.author, reason=reason, thread=thread,
            region=region)
    return thread


@refusals_recorded
@transaction.atomic
def change_kind(*, actor: User, thread: Thread, kind: str, reason: str = "") -> Thread:
    """Reports live in a region's forums (as when they are written); a thread that stops being
    a question loses its accepted answer (the log keeps which it was); a report's sections are
    kept when it becomes something else, and come back if it becomes a report again."""
    thread = _locked_thread(thread)
    _check_thread(actor, thread, "thread.kind_changed")
    reason = _clean_reason(reason, required=False)
    if kind not in Thread.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of thread.")})
    if kind == thread.kind:
        raise ValidationError({"kind": _("The thread is of this kind already.")})
    if kind == Thread.Kind.REPORT and thread.forum.region_id is None:
        raise ValidationError({"kind": _("Reports belong in a region's forum.")})
    before = {"kind": thread.kind}
    after = {"kind": kind}
    fields = ["kind"]
    if thread.accepted_answer_id and kind != Thread.Kind.QUESTION:
        before["accepted_answer"], after["accepted_answer"] = thread.accepted_answer_id, None
        thread.accepted_answer = None
        fields.append("accepted_answer")
    thread.kind = kind
    thread.save(update_fields=fields)
    if kind == Thread.Kind.REPORT:
        ReportSections.objects.get_or_create(thread=thread)
    events.thread_changed(thread)  # moves the sequence: cached labels and pages renew
    region = _region(thread)
    record(actor=actor, action="thread.kind_changed", obj=thread, region=region, reason=reason,
           before=before, after=after)
    _notify("kind_changed", actor=actor, recipient=thread.author, reason=reason, thread=thread,
            region=region)
    return thread


def allowed_tags(forum: Forum):
    """The tags a thread in this forum may carry: the programme's and its region's."""
    return Tag.objects.filter(Q(region=None) | Q(region_id=forum.region_id))


@refusals_recorded
@transaction.atomic
def set_tags(*, actor: User, thread: Thread, tags: Iterable[Tag], reason: str = "") -> Thread:
    thread = _locked_thread(thread)
    _check_thread(actor, thread, "thread.retagged")
    reason = _clean_reason(reason, required=False)
    tags = list(tags)
    if any(t.region_id not in (None, thread.forum.region_id) for t in tags):
        raise ValidationError({"tags": _("These tags do not belong to this region.")})
    before = sorted(thread.tags.values_list("slug", flat=True))
    after = sorted(t.slug for t in tags)
    if before == after:
        raise ValidationError({"tags": _("These are the tags already.")})
    thread.tags.set(tags)
    events.thread_changed(thread)
    region = _region(thread)
    record(actor=actor, action="thread.retagged", obj=thread, region=region, reason=reason,
           before={"tags": before}, after={"tags": after})
    _notify("retagged", actor=actor, recipient=thread.author, reason=reason, thread=thread,
            region=region)
    return thread


# --- Move -------------------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def move_thread(*, actor: User, thread: Thread, forum: Forum, reason: str) -> Thread:
    """To another forum, in this region or another one the actor moderates (staff: any). The
    address stays (/onderwerp/<id>/). Tags of the old region that the new one does not have
    are taken off. Readers: every open socket asks again whether its reader may still see the
    thread (forums.events.access_changed) before `thread.moved` (ids only) is announced."""
    thread = _locked_thread(thread)
    _check_thread(actor, thread, "thread.moved")
    forum = Forum.objects.select_related("region").get(pk=forum.pk)
    _check_target_forum(actor, forum, "thread.moved", thread)
    reason = _clean_reason(reason)
    if forum.pk == thread.forum_id:
        raise ValidationError({"forum": _("The thread is in this forum already.")})
    if thread.kind == Thread.Kind.REPORT and forum.region_id is None:
        raise ValidationError({"forum": _("Reports belong in a region's forum.")})
    source = thread.forum
    before = {"forum_id": source.pk, "forum": _forum_label(source)}
    after = {"forum_id": forum.pk, "forum": _forum_label(forum)}
    if forum.region_id != source.region_id:
        tags = list(thread.tags.all())
        kept = [t for t in tags if t.region_id in (None, forum.region_id)]
        if len(kept) != len(tags):
            before["tags"] = sorted(t.slug for t in tags)
            after["tags"] = sorted(t.slug for t in kept)
            thread.tags.set(kept)
    thread.forum = forum
    thread.save(update_fields=["forum"])
    _refresh_forum_totals(source.pk)
    _refresh_forum_totals(forum.pk)
    events.access_changed(thread.pk)
    events.thread_moved(thread)
    _queues_changed(source.region_id, forum.region_id)
    record(actor=actor, action="thread.moved", obj=thread, region=source.region, reason=reason,
           before=before, after=after)
    if forum.region_id != source.region_id and forum.region is not None:
        # The target region's moderators find it in their own log too.
        record(actor=actor, action="thread.moved", obj=thread, region=forum.region,
               reason=reason, before=before, after=after)
    _notify("moved", actor=actor, recipient=thread.author, reason=reason, thread=thread,
            region=forum.region)
    return thread


# --- Merge ------------------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def merge_threads(*, actor: User, thread: Thread, into: Thread, reason: str) -> Thread:
    """Append `thread`'s posts to `into` in their chronological order (positions after its
    last; its own posts keep theirs, so links and read marks stay right), then remove `thread`,
    leaving a redirect from its address. Watchers and notifications come along (opening one
    leads to its post in `into`). Returns `into`.

    Readers of `thread` get `thread.merged` (with the way to `into`), readers of `into` get
    `posts.merged` (reload). Reports are not merged: their sections would be lost."""
    if thread.pk == into.pk:
        raise ValidationError({"into": _("A thread cannot be merged into itself.")})
    # A running reply fan-out of `thread` first (see hold_reply_fanout), then both rows, in
    # id order: two merges of the same pair cannot deadlock.
    notification_services.hold_reply_fanout(thread_id=thread.pk)
    locked = {t.pk: t for t in Thread.objects.select_related("forum__region", "author")
              .select_for_update(of=("self",)).filter(pk__in=[thread.pk, into.pk]).order_by("pk")}
    if into.pk not in locked:  # merged or removed meanwhile
        raise ValidationError({"into": _("There is no thread you moderate with this number.")})
    thread, into = locked[thread.pk], locked[into.pk]
    _check_thread(actor, thread, "thread.merged")
    if not permissions.can_moderate_thread(actor, into):
        raise _refuse(actor, "thread.merged", thread, _region(thread),
                      _("There is no thread you moderate with this number."))
    reason = _clean_reason(reason)
    if thread.kind == Thread.Kind.REPORT:
        raise ValidationError({"into": _("A report cannot be merged into another thread.")})
    # Waiting posts come along without a place; approval gives them one at the end.
    Post.objects.filter(thread=thread, is_pending=True).update(thread=into)
    moved = list(Post.objects.filter(thread=thread).order_by("created_at", "pk")
                 .values_list("pk", flat=True))
    first_position = into.last_position + 1
    for offset, pk in enumerate(moved):
        Post.objects.filter(pk=pk).update(thread=into, position=first_position + offset)
    _refresh_thread_totals(into.pk)
    watchers = ThreadSubscription.objects.filter(thread=thread)
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=w.user_id, thread=into, level=w.level) for w in watchers],
        ignore_conflicts=True)
    ThreadRedirect.objects.filter(thread=thread).update(thread=into)
    ThreadRedirect.objects.create(old_thread_id=thread.pk, thread=into)
    notification_services.follow_merged_thread(thread_id=thread.pk, into=into)
    _reindex(moved)
    events.thread_merged(thread.pk, into)
    events.posts_merged(into, from_thread_id=thread.pk, post_ids=moved)
    before = {"thread_id": thread.pk, "title": thread.title,
              "forum": _forum_label(thread.forum), "post_count": len(moved)}
    after = {"into_thread_id": into.pk, "into_title": into.title,
             "positions": [first_position, first_position + len(moved) - 1] if moved else []}
    region, into_region = _region(thread), _region(into)
    record(actor=actor, action="thread.merged", obj=thread, region=region, reason=reason,
           before=before, after=after)
    if into.forum.region_id != thread.forum.region_id and into_region is not None:
        record(actor=actor, action="thread.merged", obj=into, region=into_region,
               reason=reason, before=before, after=after)
    source_forum = thread.forum_id
    author = thread.author
    thread.delete()  # its events, read marks, watchers; posts and notifications are in `into`
    _refresh_forum_totals(source_forum)
    if into.forum_id != source_forum:
        _refresh_forum_totals(into.forum_id)
    _queues_changed(thread.forum.region_id, into.forum.region_id)
    _notify("merged", actor=actor, recipient=author, reason=reason, thread=into,
            region=into_region)
    into.refresh_from_db()
    return into


# --- Split ------------------------------------------------------------------------------------

@refusals_recorded
@transaction.atomic
def split_thread(*, actor: User, thread: Thread, post_ids: Iterable[int], title: str,
                 forum: Forum, reason: str) -> Thread:
    """Move the chosen replies (never the opening post) into a new thread in `forum` (this one
    or another the actor moderates), in their order; the first of them opens it and its
    author is the new thread's author. Both threads are numbered 1, 2, 3, … again. Returns
    the new thread."""
    thread = _locked_thread(thread)
    _check_thread(actor, thread, "thread.split")
    forum = Forum.objects.select_related("region").get(pk=forum.pk)
    _check_target_forum(actor, forum, "thread.split", thread)
    title = _clean_title(title)
    reason = _clean_reason(reason)
    try:
        wanted = {int(pk) for pk in post_ids}
    except (TypeError, ValueError):
        raise ValidationError({"posts": _("Choose posts of this thread.")}) from None
    posts = list(Post.objects.filter(thread=thread, pk__in=wanted, is_pending=False)
                 .order_by("position"))
    if not wanted:
        raise ValidationError({"posts": _("Choose the posts to move.")})
    if len(posts) != len(wanted):
        raise ValidationError({"posts": _("Choose posts of this thread.")})
    if any(p.position == 1 for p in posts):
        raise ValidationError({"posts": _("The opening post stays in this thread.")})
    first = posts[0]
    new = Thread.objects.create(forum=forum, title=title, author=first.author,
                                kind=Thread.Kind.DISCUSSION, last_post_at=first.created_at)
    old_positions = [p.position for p in posts]
    for number, post in enumerate(posts, start=1):
        Post.objects.filter(pk=post.pk).update(thread=new, position=number)
    _renumber(thread.pk)
    fields = []
    if thread.accepted_answer_id in wanted:
        thread.accepted_answer = None
        fields.append("accepted_answer")
    if fields:
        thread.save(update_fields=fields)
    _refresh_thread_totals(thread.pk)
    _refresh_thread_totals(new.pk)
    thread.refresh_from_db(fields=["last_position", "post_count", "event_seq"])
    ThreadRead.objects.filter(thread=thread, last_read_position__gt=thread.last_position) \
        .update(last_read_position=thread.last_position)
    authors = {p.author_id: p.author for p in posts}
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=uid, thread=new) for uid in authors], ignore_conflicts=True)
    _refresh_forum_totals(thread.forum_id)
    if forum.pk != thread.forum_id:
        _refresh_forum_totals(forum.pk)
    moved_ids = [p.pk for p in posts]
    _reindex(moved_ids)
    events.posts_split(thread, into_thread_id=new.pk, post_ids=moved_ids)
    region = _region(thread)
    before = {"thread_id": thread.pk, "post_ids": moved_ids, "positions": old_positions}
    after = {"thread_id": new.pk, "title": new.title, "forum": _forum_label(forum),
             "positions": list(range(1, len(posts) + 1))}
    record(actor=actor, action="thread.split", obj=thread, region=region, reason=reason,
           before=before, after=after)
    if forum.region_id != thread.forum.region_id and forum.region is not None:
        record(actor=actor, action="thread.split", obj=new, region=forum.region, reason=reason,
               before=before, after=after)
    _queues_changed(thread.forum.region_id, forum.region_id)
    for author in authors.values():
        _notify("split", actor=actor, recipient=author, reason=reason, thread=new,
                region=forum.region)
    new.refresh_from_db()
    return new
