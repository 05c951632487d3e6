"""The one module that names groups and touches the channel layer.

Group names use integer ids only: the channel layer rejects many characters titles can hold.
The database stays the truth; a failed send is logged and never breaks the write that caused it.
"""

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
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, event)
    except Exception:  # noqa: BLE001 - the channel layer is a doorbell, not the truth
        logger.warning("live: could not send %s to %s", event.get("type"), group, exc_info=False)
