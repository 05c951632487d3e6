"""The review queue's doorbell: /ws/moderation/<region_id>/ (one region) and /ws/moderation/
(the combined queue, staff). The database is the truth; the socket only says "the queue
changed, refresh" ({"type": "queue.changed", "region_id": ...}). Push-only: clients send
nothing but ping. Refusal looks like a missing region (4404), as on thread sockets."""

from channels.db import database_sync_to_async

from live import broadcast
from live.consumers import CloseCode, LiveConsumer
from regions import permissions as region_permissions
from regions.models import Region

from . import permissions, selectors


class QueueConsumer(LiveConsumer):
    async def on_connect(self):
        region_id = self.scope["url_route"]["kwargs"].get("region_id")
        if not await self._may_watch(region_id):
            await self.accept()
            await self.close(code=CloseCode.NOT_FOUND)
            return
        self.region_id = region_id
        await self.join(broadcast.moderation_group(region_id))
        await self.accept()
        # Taken as the page's state: the page was rendered just before (a change in that
        # moment is not caught, as it was not before this socket had pings to compare).
        self._told = await self._fingerprint()

    @database_sync_to_async
    def _may_watch(self, region_id) -> bool:
        user = self.user
        if user is None or not user.is_authenticated:
            return False
        region_permissions.reset_cache(user)
        permissions.forget_memo(user)  # a suspension pauses a moderator's watch too
        if region_id is None:
            return permissions.can_moderate_everywhere(user)
        region = Region.objects.filter(pk=region_id).first()
        return region is not None and permissions.can_moderate(user, region)

    @database_sync_to_async
    def _fingerprint(self) -> tuple[int, ...]:
        region_ids = None if self.region_id is None else {self.region_id}
        return selectors.queue_fingerprint(region_ids=region_ids)

    async def queue_changed(self, message):
        # Read before the page refreshes, so the refresh shows at least this state.
        self._told = await self._fingerprint()
        await self.send_json({"type": "queue.changed", "region_id": message.get("region_id")})

    async def heal(self) -> None:
        """A ring the channel layer lost (its group memberships were gone, say after a Redis
        flush) is made good at the next ping: if the queue is not what this socket last told
        its page, it says queue.changed before the pong."""
        if not hasattr(self, "_told"):
            return  # refused at the handshake (4404)
        await self._check_access()  # a lost membership.revoked must not keep the queue open
        if getattr(self, "_closing", False):
            return
        current = await self._fingerprint()
        if current != self._told:
            self._told = current
            await self.send_json({"type": "queue.changed", "region_id": self.region_id})

    async def membership_revoked(self, message):
        # No longer a member (so no longer a moderator) of some region: check again.
        await self._check_access()

    async def participation_changed(self, message):
        """A suspension of the moderator began or was lifted: whether they may still watch this
        queue is asked again (the roles decide today; the answer must not be a crash)."""
        await self._check_access()

    async def _check_access(self) -> None:
        if not await self._may_watch(getattr(self, "region_id", None)):
            await self.close(code=CloseCode.ACCESS_REVOKED)
