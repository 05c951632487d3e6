"""Thread events: written in the same transaction as the change they describe, announced to
readers after it commits. The table is the truth a reconnecting reader catches up from; the
channel layer only rings the bell. docs/live-protocol.md describes what readers receive.

A post's fragment is rendered once per event in every supported language and stored as
{language: html}; the socket hands each reader the one in its language (frame_for_language).
"""

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation

from live import broadcast

from .models import Post, Reaction, Thread, ThreadEvent


def render_post(post: Post, thread: Thread) -> dict[str, str]:
    """The post as every reader sees it, without anyone's own controls (those are switched on
    in the browser), in each of settings.LANGUAGES: rendered once per change, never once per
    reader. The caller has loaded post.author (with profile) and post.reactions."""
    rendered = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            kinds = [(k, label, Reaction.EMOJI[k]) for k, label in Reaction.Kind.choices]
            rendered[language] = render_to_string("forums/_post.html", {
                "post": post, "thread": thread, "reaction_kinds": kinds,
            })
    return rendered


# The last event framed in this process, with its frame per language. All readers of a thread
# in one process relay the same event object one after another; handing them the same frame
# object lets LiveConsumer.encode_json encode it once for all of them, not once per reader.
_last_framed: tuple[dict, dict[str, dict]] | None = None


def frame_for_language(message: dict, language: str) -> dict:
    """An event as one reader receives it: `html` in that reader's language. Events stored
    before fragments were rendered per language hold a single string, passed on as it is."""
    global _last_framed
    html = message.get("html")
    if not isinstance(html, dict):
        return message
    if _last_framed is None or _last_framed[0] is not message:
        _last_framed = (message, {})
    frames = _last_framed[1]
    frame = frames.get(language)
    if frame is None:
        chosen = (html.get(language) or html.get(settings.LANGUAGE_CODE)
                  or next(iter(html.values())))
        frame = frames[language] = {**message, "html": chosen}
    return frame


def record(thread_id: int, type: str, payload: dict, *, seq: int | None = None) -> ThreadEvent:
    """Next sequence number for the thread (its row locked until commit, so sequences are
    gap-free and commit in order), the event row, and the announcement after commit.

    seq: the caller already holds the thread row lock and has moved the thread's event_seq to
    this number in its own UPDATE (one statement and one lock fewer on the reply path)."""
    if seq is None:
        seq = Thread.objects.select_for_update(no_key=True).filter(pk=thread_id) \
            .values_list("event_seq", flat=True).get() + 1
        Thread.objects.filter(pk=thread_id).update(event_seq=seq)
    event = ThreadEvent.objects.create(thread_id=thread_id, seq=seq, type=type, payload=payload)
    broadcast.send_on_commit(broadcast.thread_group(thread_id),
                             {"type": "thread.event", "event": event.as_message()})
    return event


def post_created(post: Post, thread: Thread, *, seq: int, **extra) -> ThreadEvent:
    """A new post, as it is in memory: the caller has just written it (no reactions yet, the
    author is the acting user) and has moved the thread's event_seq to `seq`."""
    post._prefetched_objects_cache = {"reactions": Reaction.objects.none()}
    return record(thread.pk, "post.created", _post_payload(post, render_post(post, thread),
                                                           extra), seq=seq)


def post_changed(post: Post, thread: Thread, type: str, **extra) -> ThreadEvent | None:
    if post.is_pending:  # readers never saw it: nothing to tell them
        return None
    reactions = Reaction.objects.select_related("user__profile").order_by("created_at")
    post = Post.objects.select_related("author__profile").prefetch_related(
        Prefetch("reactions", queryset=reactions)).get(pk=post.pk)
    html = render_post(post, thread)
    event = record(thread.pk, type, _post_payload(post, html, extra))
    # A replay must not bring back what an edit or a deletion took away (earlier versions are
    # for the author and moderators only): older events of the post show it as it is.
    for old in ThreadEvent.objects.filter(thread_id=thread.pk, seq__lt=event.seq,
                                          payload__post_id=post.pk):
        if old.payload.get("html") != html:
            old.payload["html"] = html
            old.save(update_fields=["payload"])
    return event


def _post_payload(post: Post, html: dict[str, str], extra: dict) -> dict:
    return {"post_id": post.pk, "position": post.position, "author_id": post.author_id,
            "html": html, **extra}


def thread_changed(thread: Thread) -> ThreadEvent:
    return record(thread.pk, "thread.updated", {
        "title": thread.title, "is_locked": thread.is_locked, "is_pinned": thread.is_pinned,
        "accepted_post_id": thread.accepted_answer_id,
    })


def access_changed(thread_id: int) -> None:
    """The thread moved to another forum: after commit, every socket of its group asks again
    whether its reader may still see it, and one that may not is closed and relays nothing
    more. Call it before recording the event that describes the move, so a reader who lost
    access is cut off before that event reaches the group."""
    broadcast.send_on_commit(broadcast.thread_group(thread_id), {"type": "thread.access_changed"})


def thread_moved(thread: Thread) -> ThreadEvent:
    """Ids only: a reader who lost access is cut off by access_changed, sent first."""
    return record(thread.pk, "thread.moved", {"forum_id": thread.forum_id})


def thread_merged(thread_id: int, into: Thread) -> ThreadEvent:
    """The thread's posts are now in `into`; its readers are offered the way there."""
    return record(thread_id, "thread.merged", {"into_thread_id": into.pk,
                                               "url": into.get_absolute_url()})


def posts_merged(thread: Thread, *, from_thread_id: int, post_ids: list[int]) -> ThreadEvent:
    """Posts of another thread were appended: readers reload the page they show (resync)."""
    return record(thread.pk, "posts.merged", {"from_thread_id": from_thread_id,
                                              "post_ids": post_ids})


def posts_split(thread: Thread, *, into_thread_id: int, post_ids: list[int]) -> ThreadEvent:
    """Posts left for a new thread and the rest were renumbered: readers reload the page. The
    earlier events of the moved posts no longer carry their text here (the new thread may be
    in a forum these readers cannot see): they become `post.moved`, which clients ignore."""
    for old in ThreadEvent.objects.filter(thread_id=thread.pk, payload__post_id__in=post_ids):
        old.type = "post.moved"
        old.payload = {"post_id": old.payload["post_id"], "to_thread_id": into_thread_id}
        old.save(update_fields=["type", "payload"])
    return record(thread.pk, "posts.split", {"to_thread_id": into_thread_id,
                                             "post_ids": post_ids})


def events_after(thread_id: int, seq: int, limit: int) -> list[ThreadEvent]:
    return list(ThreadEvent.objects.filter(thread_id=thread_id, seq__gt=seq)
                .order_by("seq")[:limit])
