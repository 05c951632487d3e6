"""Thread events: written in the same transaction as the change they describe, announced to
readers after it commits. The table is the truth a reconnecting reader catches up from; the
channel layer only rings the bell. docs/live-protocol.md describes what readers receive.
"""

from django.template.loader import render_to_string

from live import broadcast

from .models import Post, Reaction, Thread, ThreadEvent


def render_post(post: Post, thread: Thread) -> str:
    """The post as every reader sees it, without anyone's own controls (those are switched on
    in the browser): rendered once per change, never once per reader."""
    kinds = [(k, label, Reaction.EMOJI[k]) for k, label in Reaction.Kind.choices]
    return render_to_string("forums/_post.html", {
        "post": post, "thread": thread, "reaction_kinds": kinds,
    })


def record(thread_id: int, type: str, payload: dict) -> ThreadEvent:
    """Next sequence number for the thread (its row locked until commit, so sequences are
    gap-free and commit in order), the event row, and the announcement after commit."""
    seq = Thread.objects.select_for_update().filter(pk=thread_id) \
        .values_list("event_seq", flat=True).get() + 1
    Thread.objects.filter(pk=thread_id).update(event_seq=seq)
    event = ThreadEvent.objects.create(thread_id=thread_id, seq=seq, type=type, payload=payload)
    broadcast.send_on_commit(broadcast.thread_group(thread_id),
                             {"type": "thread.event", "event": event.as_message()})
    return event


def post_changed(post: Post, thread: Thread, type: str, **extra) -> ThreadEvent:
    post = Post.objects.select_related("author__profile").prefetch_related(
        "reactions__user__profile").get(pk=post.pk)
    html = render_post(post, thread)
    event = record(thread.pk, type, {
        "post_id": post.pk, "position": post.position, "author_id": post.author_id,
        "html": html, **extra,
    })
    if type != "post.created":
        # A replay must not bring back what an edit or a deletion took away (earlier versions
        # are for the author and moderators only): older events of the post show it as it is.
        for old in ThreadEvent.objects.filter(thread_id=thread.pk, seq__lt=event.seq,
                                              payload__post_id=post.pk):
            if old.payload.get("html") != html:
                old.payload["html"] = html
                old.save(update_fields=["payload"])
    return event


def thread_changed(thread: Thread) -> ThreadEvent:
    return record(thread.pk, "thread.updated", {
        "title": thread.title, "is_locked": thread.is_locked, "is_pinned": thread.is_pinned,
        "accepted_post_id": thread.accepted_answer_id,
    })


def events_after(thread_id: int, seq: int, limit: int) -> list[ThreadEvent]:
    return list(ThreadEvent.objects.filter(thread_id=thread_id, seq__gt=seq)
                .order_by("seq")[:limit])
