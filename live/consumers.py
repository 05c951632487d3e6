import json

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from . import broadcast


class PingConsumer(AsyncJsonWebsocketConsumer):
    """Liveness of the WebSocket path (origin check, auth, channel layer) for operators and
    the browser harness; the thread and notification streams build on the same stack."""

    async def connect(self):
        await self.accept()
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.group = broadcast.user_group(user.pk)
            await self.channel_layer.group_add(self.group, self.channel_name)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        try:
            content = json.loads(text_data or "")
        except (TypeError, ValueError):
            await self.send_json({"type": "error", "code": "invalid_json"})
            return
        await self.receive_json(content)

    async def receive_json(self, content, **kwargs):
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "code": "unknown_type"})

    async def membership_revoked(self, event):
        await self.send_json(event)
