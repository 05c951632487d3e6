"""A thread's shape: its forum, title, kind and tags, which posts it holds in which places, its
counters, and whether a post is hidden. The forums' half of moderators' actions on threads and
posts (moved, merged, split, renamed, hidden, shown again), each with what it does to the
counters, the search index and the thread's events (announced to readers after commit).

The decision is moderation's: it asks moderation.permissions on the rows locked here
(`locked_thread`, `locked_threads`, `locked_post`; `lock_posts` first where a change moves a
thread's posts), records the audit entry and tells the people concerned. These functions
assume the actor may act and check only what concerns the threads themselves
(ValidationError, keyed by the form field, with nothing changed); the caller holds the locks
of the rows they change, in one transaction.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from . import search, thread_events
from .models import (
    Forum,
    Post,
    ReportSections,
    Tag,
    Thread,
    ThreadRead,
    ThreadRedirect,
    ThreadSubscription,
)

MAX_TITLE = 200
# What posts coming or going change on a thread's row.
_COUNTERS = ["post_count", "last_position", "last_post", "last_poster", "last_post_at",
             "event_seq"]


# --- Rows, locked for the change ----------------------------------------------------------------

def locked_thread(thread_id: int) -> Thread:
    """The thread with its forum, region and author, its row locked (NO KEY UPDATE, like every
    lock taken for an update: rows that only point here may be inserted meanwhile)."""
    return Thread.objects.select_related("forum__region", "author") \
        .select_for_update(of=("self",), no_key=True).get(pk=thread_id)


def lock_posts(thread_id: int) -> None:
    """Before a change to many posts of a thread (a merge, a split) locks the thread: its
    posts. Whatever changes one post and then its thread (a reaction, an edit, hiding it,
    approving or withdrawing a waiting post: the thread's event sequence, counters or row)
    locks in that order, so this change takes its locks in the same order and waits for
    such a writer instead of deadlocking with it. FOR UPDATE: it changes their thread and
    place, which a unique key covers."""
    list(Post.objects.select_for_update(of=("self",)).filter(thread_id=thread_id)
         .order_by("pk").values_list("pk", flat=True))


def locked_threads(thread_ids: Iterable[int]) -> dict[int, Thread]:
    """Threads that one change removes or empties (a merge), locked in id order so that two
    such changes of the same threads cannot deadlock; missing ones are left out."""
    threads = Thread.objects.select_related("forum__region", "author") \
        .select_for_update(of=("self",)).filter(pk__in=list(thread_ids)).order_by("pk")
    return {thread.pk: thread for thread in threads}


def locked_post(post_id: int) -> Post:
    """The post with its thread, forum, region and author, its row locked."""
    return Post.objects.select_related("thread__forum__region", "author__profile") \
        .select_for_update(of=("self",), no_key=True).get(pk=post_id)


# --- Counters, recomputed in plain sight -------------------------------------------------------

def recount_thread(thread_id: int) -> None:
    """post_count, last_position and the last post after posts came or went. Posts waiting
    for approval have no place yet and count nowhere (moderation/approvals.py)."""
    posts = Post.objects.filter(thread_id=thread_id, is_pending=False)
    totals = posts.aggregate(n=Count("pk"), last=Max("position"))
    last = posts.order_by("-created_at", "-pk").first()
    Thread.objects.filter(pk=thread_id).update(
        post_count=totals["n"], last_position=totals["last"] or 0, last_post=last,
        last_poster=last.author_id if last else None,
        last_post_at=last.created_at if last else timezone.now())


def recount_forum(forum_id: int) -> None:
    threads = Thread.objects.filter(forum_id=forum_id, is_pending=False)
    posts = Post.objects.filter(thread__forum_id=forum_id, is_pending=False)
    last = posts.order_by("-created_at", "-pk").first()
    Forum.objects.filter(pk=forum_id).update(
        thread_count=threads.count(), post_count=posts.count(), last_post=last,
        last_post_at=last.created_at if last else None)


def renumber(thread_id: int) -> None:
    """Positions 1, 2, 3, … in the present order. Ascending, one row at a time: each post
    moves down into a place already freed, so the unique (thread, position) always holds."""
    for number, (pk, position) in enumerate(
            Post.objects.filter(thread_id=thread_id, is_pending=False).order_by("position")
            .values_list("pk", "position"), start=1):
        if position != number:
            Post.objects.filter(pk=pk).update(position=number)


def _reindex(post_ids: Iterable[int]) -> None:
    for post in Post.objects.filter(pk__in=list(post_ids)).select_related("thread"):
        search.index_post(post)


# --- Title, kind, tags --------------------------------------------------------------------------

def clean_title(title: str) -> str:
    title = (title or "").replace("\x00", "").strip()
    if not title:
        raise ValidationError({"title": _("Give the thread a title.")})
    if len(title) > MAX_TITLE:
        raise ValidationError({"title": _("At most %(n)d characters, please.") % {"n": MAX_TITLE}})
    return title


def rename_thread(*, thread: Thread, title: str) -> None:
    title = clean_title(title)
    if title == thread.title:
        raise ValidationError({"title": _("This is the title already.")})
    thread.title = title
    thread.save(update_fields=["title"])
    search.index_thread(thread)
    thread_events.thread_changed(thread)  # thread.updated: open pages show the new title


def change_kind(*, thread: Thread, kind: str) -> int | None:
    """Reports live in a region's forums (as when they are written); a thread that stops being
    a question loses its accepted answer (returned, for the record); a report's sections are
    kept when it becomes something else, and come back if it becomes a report again."""
    if kind not in Thread.Kind.values:
        raise ValidationError({"kind": _("Unknown kind of thread.")})
    if kind == thread.kind:
        raise ValidationError({"kind": _("The thread is of this kind already.")})
    if kind == Thread.Kind.REPORT and thread.forum.region_id is None:
        raise ValidationError({"kind": _("Reports belong in a region's forum.")})
    fields, dropped_answer = ["kind"], None
    if thread.accepted_answer_id and kind != Thread.Kind.QUESTION:
        dropped_answer, thread.accepted_answer = thread.accepted_answer_id, None
        fields.append("accepted_answer")
    thread.kind = kind
    thread.save(update_fields=fields)
    if kind == Thread.Kind.REPORT:
        ReportSections.objects.get_or_create(thread=thread)
    thread_events.thread_changed(thread)  # moves the sequence: cached labels and pages renew
    return dropped_answer


def allowed_tags(forum: Forum) -> QuerySet[Tag]:
    """The tags a thread in this forum may carry: the programme's and its region's."""
    return Tag.objects.filter(Q(region=None) | Q(region_id=forum.region_id))


def set_tags(*, thread: Thread, tags: Iterable[Tag]) -> tuple[list[str], list[str]]:
    """Returns the tag slugs before and after."""
    tags = list(tags)
    if any(t.region_id not in (None, thread.forum.region_id) for t in tags):
        raise ValidationError({"tags": _("These tags do not belong to this region.")})
    before = sorted(thread.tags.values_list("slug", flat=True))
    after = sorted(t.slug for t in tags)
    if before == after:
        raise ValidationError({"tags": _("These are the tags already.")})
    thread.tags.set(tags)
    thread_events.thread_changed(thread)
    return before, after


# --- Move -------------------------------------------------------------------------------------

def move_thread(*, thread: Thread, forum: Forum) -> tuple[list[str], list[str]] | None:
    """To another forum (`forum` with its region loaded). The address stays (/onderwerp/<id>/).
    Tags of the old region that the new one does not have are taken off: returns the tag slugs
    before and after when that happened. Readers: every open socket asks again whether its
    reader may still see the thread (thread_events.access_changed) before `thread.moved` (ids
    only) is announced."""
    if forum.pk == thread.forum_id:
        raise ValidationError({"forum": _("The thread is in this forum already.")})
    if thread.kind == Thread.Kind.REPORT and forum.region_id is None:
        raise ValidationError({"forum": _("Reports belong in a region's forum.")})
    source = thread.forum
    retagged = None
    if forum.region_id != source.region_id:
        tags = list(thread.tags.all())
        kept = [t for t in tags if t.region_id in (None, forum.region_id)]
        if len(kept) != len(tags):
            retagged = sorted(t.slug for t in tags), sorted(t.slug for t in kept)
            thread.tags.set(kept)
    thread.forum = forum
    thread.save(update_fields=["forum"])
    recount_forum(source.pk)
    recount_forum(forum.pk)
    thread_events.access_changed(thread.pk)
    thread_events.thread_moved(thread)
    return retagged


# --- Merge ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Merged:
    post_ids: list[int]  # the posts that took places in `into`, in their new order
    first_position: int


def merge_threads(*, thread: Thread, into: Thread) -> Merged:
    """Append `thread`'s posts to `into` in their chronological order (positions after its
    last; its own posts keep theirs, so links and read marks stay right), then remove `thread`,
    leaving a redirect from its address; its watchers come along. Both rows locked
    (`lock_posts` of `thread` before `locked_threads`). Whatever else points at `thread` and
    must follow it (notifications) the caller moves first: the thread's row goes with
    everything that still refers to it. The `thread` object keeps its id and title, for the
    record; `into` is given its new counters.

    Readers of `thread` get `thread.merged` (with the way to `into`), readers of `into` get
    `posts.merged` (reload). Reports are not merged: their sections would be lost."""
    if thread.kind == Thread.Kind.REPORT:
        raise ValidationError({"into": _("A report cannot be merged into another thread.")})
    # Waiting posts come along without a place; approval gives them one at the end.
    Post.objects.filter(thread=thread, is_pending=True).update(thread=into)
    moved = list(Post.objects.filter(thread=thread).order_by("created_at", "pk")
                 .values_list("pk", flat=True))
    first_position = into.last_position + 1
    for offset, pk in enumerate(moved):
        Post.objects.filter(pk=pk).update(thread=into, position=first_position + offset)
    recount_thread(into.pk)
    watchers = ThreadSubscription.objects.filter(thread=thread)
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=w.user_id, thread=into, level=w.level) for w in watchers],
        ignore_conflicts=True)
    ThreadRedirect.objects.filter(thread=thread).update(thread=into)
    ThreadRedirect.objects.create(old_thread_id=thread.pk, thread=into)
    _reindex(moved)
    thread_events.thread_merged(thread.pk, into)
    thread_events.posts_merged(into, from_thread_id=thread.pk, post_ids=moved)
    # Its events, read marks and watchers go with it; its posts are in `into`. A queryset
    # delete leaves the object its id.
    Thread.objects.filter(pk=thread.pk).delete()
    recount_forum(thread.forum_id)
    if into.forum_id != thread.forum_id:
        recount_forum(into.forum_id)
    into.refresh_from_db(fields=_COUNTERS)
    return Merged(post_ids=moved, first_position=first_position)


# --- Split ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    thread: Thread  # the new one
    posts: list[Post]  # the posts it took, in their order
    old_positions: list[int]


def split_thread(*, thread: Thread, post_ids: Iterable[int], title: str,
                 forum: Forum) -> Split:
    """Move the chosen replies (never the opening post) into a new thread in `forum`, in their
    order; the first of them opens it and its author is the new thread's author. Both threads
    are numbered 1, 2, 3, … again; read marks past the old thread's new end move back to it,
    and the moved posts' authors watch the new thread."""
    title = clean_title(title)
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
    renumber(thread.pk)
    if thread.accepted_answer_id in wanted:
        thread.accepted_answer = None
        thread.save(update_fields=["accepted_answer"])
    recount_thread(thread.pk)
    recount_thread(new.pk)
    thread.refresh_from_db(fields=["last_position", "post_count", "event_seq"])
    ThreadRead.objects.filter(thread=thread, last_read_position__gt=thread.last_position) \
        .update(last_read_position=thread.last_position)
    ThreadSubscription.objects.bulk_create(
        [ThreadSubscription(user_id=uid, thread=new) for uid in {p.author_id for p in posts}],
        ignore_conflicts=True)
    recount_forum(thread.forum_id)
    if forum.pk != thread.forum_id:
        recount_forum(forum.pk)
    moved_ids = [p.pk for p in posts]
    _reindex(moved_ids)
    thread_events.posts_split(thread, into_thread_id=new.pk, post_ids=moved_ids)
    new.refresh_from_db()
    return Split(thread=new, posts=posts, old_positions=old_positions)


# --- Hidden posts -----------------------------------------------------------------------------

_HIDDEN_REASON_LENGTH = Post._meta.get_field("hidden_reason").max_length


def hide_post(*, post: Post, hidden_by: User | None, reason: str) -> None:
    """Hide the post's text from readers and search (hidden_by None: members' flags hid it,
    pending review). A post hidden already is only marked as decided by `hidden_by`."""
    reason = reason[:_HIDDEN_REASON_LENGTH]
    if post.is_hidden:
        post.hidden_by, post.hidden_reason = hidden_by, reason
        post.save(update_fields=["hidden_by", "hidden_reason"])
        return
    post.is_hidden, post.hidden_reason = True, reason
    post.hidden_at, post.hidden_by = timezone.now(), hidden_by
    post.save(update_fields=["is_hidden", "hidden_reason", "hidden_at", "hidden_by"])
    search.remove_post(post)
    thread_events.post_changed(post, post.thread, "post.hidden")


def restore_post(*, post: Post) -> None:
    """Show a hidden post again, to readers and in search."""
    post.is_hidden, post.hidden_reason, post.hidden_at, post.hidden_by = False, "", None, None
    post.save(update_fields=["is_hidden", "hidden_reason", "hidden_at", "hidden_by"])
    search.index_post(post)
    thread_events.post_changed(post, post.thread, "post.restored")
