"""WebSocket routes of every app, gathered in one list."""

from django.urls import path

from forums.consumers import ThreadConsumer
from live.consumers import LiveConsumer
from moderation.consumers import QueueConsumer
from notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/ping/", LiveConsumer.as_asgi()),
    path("ws/threads/<int:thread_id>/", ThreadConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/moderation/", QueueConsumer.as_asgi()),
    path("ws/moderation/<int:region_id>/", QueueConsumer.as_asgi()),
]
