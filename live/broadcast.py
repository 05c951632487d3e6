"""The one module that names groups and touches the channel layer.

Group names use integer ids only: the channel layer rejects many characters titles can hold.
The database stays the truth; a failed send is logged and never breaks the write that caused it.
"""

import asyncio
import contextlib
import logging
import weakref

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from . import loop_thread

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def region_group(region_id: int) -> str:
    return f"region.{region_id}"


def thread_group(thread_id: int) -> str:
    return f"thread.{thread_id}"


def moderation_group(region_id: int | None) -> str:
    """The review queue of one region; None: the combined queue staff watch."""
    return f"moderation.{region_id}" if region_id is not None else "moderation.all"


def session_fingerprint(session_key: str | None) -> str:
    """Names a session in events without putting the session key itself on the wire."""
    import hashlib

    return hashlib.sha256((session_key or "").encode()).hexdigest()[:16] if session_key else ""


def send_on_commit(group: str, event: dict) -> None:
    """Deliver after the current transaction commits; dropped on rollback."""
    transaction.on_commit(lambda: send_now(group, event))


def send_now(group: str, event: dict) -> None:
    """Announce without making the caller wait for the channel layer where that is possible: in
    a gunicorn worker (community/wsgi.py switches it on) the send goes to the process's loop
    thread (live/loop_thread.py), in the order the sends were made, and the response goes out
    at once. Elsewhere (daphne's database threads, commands, the task worker, the test client)
    it is sent before returning. A failed send is one warning line, never an error for the
    write that caused it."""
    layer = get_channel_layer()
    if layer is None:
        return
    if _hand_to_loop_thread:
        loop_thread.call_soon(_send_in_order, layer, group, event)
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - the channel layer is a doorbell, not the truth
        _log_failure(group, event)


_hand_to_loop_thread = False


def send_from_loop_thread() -> None:
    """For a WSGI worker: send_now hands its sends to this process's loop thread."""
    global _hand_to_loop_thread
    _hand_to_loop_thread = True


# The last send scheduled on each loop: the next one waits for it, so announcements leave in
# the order they were made (readers would repair a swap from the event table, at a cost).
_last_send: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task]" = \
    weakref.WeakKeyDictionary()


def _send_in_order(layer, group: str, event: dict) -> None:
    """Runs on the loop."""
    loop = asyncio.get_running_loop()
    previous = _last_send.get(loop)
    if previous is not None and previous.done():
        previous = None
    task = loop.create_task(_send(previous, layer, group, event))
    _last_send[loop] = task


async def _send(previous, layer, group: str, event: dict) -> None:
    if previous is not None:
        with contextlib.suppress(BaseException):  # its failure was logged by itself
            await asyncio.shield(previous)
    try:
        await layer.group_send(group, event)
    except Exception:  # noqa: BLE001 - the channel layer is a doorbell, not the truth
        _log_failure(group, event)


def _log_failure(group: str, event: dict) -> None:
    logger.warning("live: could not send %s to %s", event.get("type"), group, exc_info=False)


SEND_MANY_CONCURRENCY = 50


def send_many(groups: list[str], event: dict) -> None:
    """One event to many groups (a fan-out's doorbells) concurrently, in one trip into the
    event loop: a thousand sequential sends would cost a thousand round trips."""
    layer = get_channel_layer()
    if layer is None or not groups:
        return

    async def send_all():
        # channels-redis's connection pool is bounded (100): more sends at once than that
        # fail with MaxConnectionsError instead of waiting for a connection.
        gate = asyncio.Semaphore(SEND_MANY_CONCURRENCY)

        async def send(group):
            async with gate:
                await layer.group_send(group, event)

        results = await asyncio.gather(*(send(g) for g in groups), return_exceptions=True)
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


# --- From a socket, on the event loop --------------------------------------------------------
# A consumer runs on the event loop and must await the layer itself (send_now would block it).
# These raise what the layer raises: a layer that went away under a socket closes it 4503, as
# live/consumers.py decides, and a caller for whom the send is a nicety catches it.


async def send_from_socket(group: str, event: dict) -> None:
    """A socket's own announcement to its group (typing, presence)."""
    await get_channel_layer().group_send(group, event)


async def add_to_group(group: str, channel_name: str) -> None:
    """Join, or renew an existing membership's expiry (idempotent)."""
    await get_channel_layer().group_add(group, channel_name)


async def remove_from_group(group: str, channel_name: str) -> None:
    await get_channel_layer().group_discard(group, channel_name)
