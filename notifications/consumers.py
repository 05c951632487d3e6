"""`/ws/notifications/`: the bell's doorbell. On connect, and whenever something changes, the
socket sends the unread count read from the database, so a tab that was offline (or a site whose
Redis was away) is current again the moment it reconnects. See docs/live-protocol.md."""

import asyncio

from channels.db import database_sync_to_async

from live import broadcast
from live.consumers import CloseCode, LiveConsumer
from regions import permissions as region_permissions

from . import selectors

# Rings that arrive together (a burst of replies) are answered with one count.
DEBOUNCE_SECONDS = 0.2


class NotificationConsumer(LiveConsumer):
    async def on_connect(self):
        if self.user is None or not self.user.is_authenticated:
            await self.accept()
            await self.close(code=CloseCode.SESSION_ENDED)
            return
        self._pending = None
        self._sent_unread = None
        await self.join(broadcast.notification_group(self.user.pk))
        await self.accept()
        await self._send_state()

    async def notification_new(self, event):
        if self._pending is None or self._pending.done():
            self._pending = asyncio.ensure_future(self._debounced_state())

    async def membership_revoked(self, event):
        # Notifications about that region's private threads stop counting.
        await database_sync_to_async(selectors.forget_unread_counts)([self.user.pk])
        await self._send_state()

    async def _debounced_state(self):
        await asyncio.sleep(DEBOUNCE_SECONDS)
        # A ring that arrives while the count is being read starts a fresh wait: the count
        # read now may predate it.
        self._pending = None
        await self._send_state()

    async def heal(self) -> None:
        """A ring the channel layer lost (its group memberships were gone, say after a Redis
        flush) must not leave the bell wrong for good: at a ping the count is read again,
        and sent before the pong if it is not what this socket last said."""
        if not hasattr(self, "_sent_unread"):
            return  # refused at the handshake (4401)
        unread = await database_sync_to_async(self._unread)()
        if unread != self._sent_unread:
            await self._send_count(unread)

    async def _send_state(self):
        await self._send_count(await database_sync_to_async(self._unread)())

    async def _send_count(self, unread: int) -> None:
        await self.send_json({"type": "notifications.state", "unread": unread})
        self._sent_unread = unread

    def _unread(self) -> int:
        # The socket's user object lives for hours: read memberships afresh, not from its cache.
        region_permissions.reset_cache(self.user)
        return selectors.unread_count(self.user)

    async def on_disconnect(self, code):
        pending = getattr(self, "_pending", None)
        if pending is not None:
            pending.cancel()
