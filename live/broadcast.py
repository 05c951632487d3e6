"""The one module that names groups and touches the channel layer.

Group names use integer ids only: the channel layer rejects many characters titles can hold.
The database stays the truth; a failed send is logged and never breaks the write that caused it.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def region_group(region_id: int) -> str:
    return f"region.{region_id}"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def session_fingerprint(session_key: str | None) -> str:
    """Names a session in events without putting the session key itself on the wire."""
    import hashlib

    return hashlib.sha256((session_key or "").encode()).hexdigest()[:16] if session_key else ""


def send_on_commit(group: str, event: dict) -> None:
    """Deliver after the current transaction commits; dropped on rollback."""
    transaction.on_commit(lambda: send_now(group, event))


def send_now(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - the channel layer is a doorbell, not the truth
        logger.warning("live: could not send %s to %s", event.get("type"), group, exc_info=False)


def send_many(groups: list[str], event: dict) -> None:
    """One event to many groups (a fan-out's doorbells) concurrently, in one trip into the
    event loop: a thousand sequential sends would cost a thousand round trips."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return

    async def send_all():
        results = await asyncio.gather(*(layer.group_send(g, event) for g in groups),
                                       return_exceptions=True)
        failed = sum(isinstance(r, BaseException) for r in results)
        if failed:
            logger.warning("live: %d of %d %s sends failed", failed, len(groups),
                           event.get("type"))

    try:
        async_to_sync(send_all)()
    except Exception:  # noqa: BLE001 - the channel layer is a doorbell, not the truth
        logger.warning("live: could not send %s to %d groups", event.get("type"), len(groups))


def notification_group(user_id: int) -> str:
    """Only the notification sockets of a user join this, so thread sockets never see its events."""
    return f"notifications.{user_id}"
