"""Who hears of a moderation write, once it commits: the person whose content or account it
touched (a notification with the reason) and the open review queues (a "refresh")."""

from django.db import transaction

from accounts.models import User
from forums.models import Post, Thread
from live import broadcast
from notifications import moderation_notices
from regions.models import Region


def tell(action: str, *, actor: User | None, recipient: User | None, reason: str = "",
         post: Post | None = None, thread: Thread | None = None,
         region: Region | None = None) -> None:
    """After commit (never for a rolled-back write), the person concerned hears of `action`
    ("hidden", "locked", "suspended", …: notifications.present words each), with the reason.
    Nobody is told of their own action."""
    if recipient is None or (actor is not None and recipient.pk == actor.pk):
        return
    transaction.on_commit(lambda: moderation_notices.notify_moderation_action(
        action=action, actor=actor, recipient=recipient, reason=reason, post=post,
        thread=thread, region=region))


def queue_changed(region_id: int | None) -> None:
    """The review queue of this region changed: open queue pages refresh (the database is the
    truth; the socket only says "refresh")."""
    def ring():
        event = {"type": "queue.changed", "region_id": region_id}
        if region_id is not None:
            broadcast.send_now(broadcast.moderation_group(region_id), event)
        broadcast.send_now(broadcast.moderation_group(None), event)
    transaction.on_commit(ring)


def queues_changed(from_region_id: int | None, to_region_id: int | None) -> None:
    """Posts changed region: flagged ones now wait in the other region's review queue."""
    if from_region_id != to_region_id:
        queue_changed(from_region_id)
        queue_changed(to_region_id)
