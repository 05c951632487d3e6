"""The review queue's doorbell: /ws/moderation/<region_id>/ (one region) and /ws/moderation/
(the combined queue, staff). The database is the truth; the socket only says "the queue
changed, refresh" ({"type": "queue.changed", "region_id": ...}). Push-only: clients send
nothing but ping. Refusal looks like a missing region (4404), as on thread sockets."""

from channels.db import database_sync_to_async

from live import broadcast
from live.consumers import CloseCode, LiveConsumer
from regions import permissions as region_permissions
from regions.models import Region

from . import permissions


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

    async def queue_changed(self, message):
        await self.send_json({"type": "queue.changed", "region_id": message.get("region_id")})

    async def membership_revoked(self, message):
        # No longer a member (so no longer a moderator) of some region: check again.
        if not await self._may_watch(getattr(self, "region_id", None)):
            await self.close(code=CloseCode.ACCESS_REVOKED)
