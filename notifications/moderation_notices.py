"""What moderation, the app above this one, calls to tell an author about a moderator's action.
Lower apps announce their events with signals (receivers.py); either way the event becomes a
queued fan-out task."""

import uuid

from . import tasks
from .queue import enqueue_after_write


def notify_moderation_action(*, action: str, actor, recipient, reason: str = "", post=None,
                             thread=None, region=None) -> None:
    """The one function moderation calls for every action on someone's content or account.
    Queued with the moderator's write; the author hears of it with the reason."""
    if recipient is None or (actor is not None and recipient.pk == actor.pk):
        return
    if thread is None and post is not None:
        thread = post.thread
    enqueue_after_write(
        tasks.fan_out_moderation, action, actor.pk if actor else None, recipient.pk,
        reason or "", post.pk if post else None, thread.pk if thread else None,
        region.pk if region else None, f"moderation:{action}:{uuid.uuid4().hex}")
