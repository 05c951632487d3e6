"""Lower apps announce what happened with their own signals; here each becomes a queued task.
The receivers only queue: who hears what is decided in the worker (fanout.py). Moderation, above
us, calls moderation_notices instead."""

from forums import signals as forum_signals
from regions import signals as region_signals

from . import services, tasks
from .queue import enqueue_after_write


def on_post_created(sender, post, **kwargs):
    enqueue_after_write(tasks.fan_out_post, post.pk)


def on_reaction_added(sender, post, user, **kwargs):
    enqueue_after_write(tasks.fan_out_reaction, post.pk, user.pk)


def on_answer_accepted(sender, thread, post, actor, **kwargs):
    enqueue_after_write(tasks.fan_out_accepted_answer, thread.pk, post.pk,
                        actor.pk if actor else None)


def on_membership_requested(sender, request, **kwargs):
    enqueue_after_write(tasks.fan_out_membership_request, request.pk)


def on_membership_decided(sender, request, **kwargs):
    enqueue_after_write(tasks.fan_out_membership_decision, request.pk)


def on_thread_read_to_end(sender, user, thread, **kwargs):
    services.mark_thread_read(user=user, thread_id=thread.pk)


def connect() -> None:
    uid = "notifications"
    forum_signals.post_created.connect(on_post_created, dispatch_uid=f"{uid}.post")
    forum_signals.reaction_added.connect(on_reaction_added, dispatch_uid=f"{uid}.reaction")
    forum_signals.answer_accepted.connect(on_answer_accepted, dispatch_uid=f"{uid}.answer")
    forum_signals.thread_read_to_end.connect(on_thread_read_to_end,
                                             dispatch_uid=f"{uid}.thread_read")
    region_signals.membership_requested.connect(on_membership_requested,
                                                dispatch_uid=f"{uid}.request")
    region_signals.membership_decided.connect(on_membership_decided,
                                              dispatch_uid=f"{uid}.decision")
