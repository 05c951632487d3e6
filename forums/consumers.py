"""The live thread socket: /ws/threads/<id>/ (docs/live-protocol.md)."""

import asyncio
import math
import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.core.cache import cache

from live import broadcast, presence
from live.consumers import CloseCode, LiveConsumer
from regions import permissions as region_permissions

from . import permissions, thread_events
from .models import Thread

REPLAY_LIMIT = 500
TYPING_INTERVAL = 3.0
# Each announcement carries the whole list to every reader: 500 readers arriving one by one
# would cost 500 × 500 frames. Per thread, the first change in a second is announced at once
# and the rest of that second in one announcement at its end (whole seconds: the cache's unit).
PRESENCE_WINDOW = 1


def reader_language(scope) -> str:
    """The language the reader's pages are in: the language cookie the handshake carries,
    else the site's default (Dutch). The same rule as community.middleware's
    DutchFirstLocaleMiddleware, which the browser's Accept-Language does not move either."""
    chosen = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class ThreadConsumer(LiveConsumer):
    message_types = frozenset({"ping", "resume", "typing"})

    async def on_connect(self):
        self.thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        state = await self._visible_state()
        if state is None:
            # Same answer for "does not exist" and "not yours to see".
            await self.accept()
            await self.close(code=CloseCode.NOT_FOUND)
            return
        current_seq, self.can_type, self.label = state
        self.language = reader_language(self.scope)
        # Nothing is relayed until the client says where it is (resume): the replay then comes
        # from the table, and live events follow it without gaps or repeats.
        self.last_seq = None
        await self.join(broadcast.thread_group(self.thread_id))
        await self.accept()
        self._typed_at = 0.0
        await self.send_json({"type": "hello", "thread_id": self.thread_id, "seq": current_seq})
        await self._presence_update(joining=True)

    async def on_disconnect(self, code):
        if hasattr(self, "label"):
            await self._presence_update(joining=False)

    # --- client messages ----------------------------------------------------------------------

    async def on_resume(self, content):
        last_seq = content.get("last_seq")
        if not isinstance(last_seq, int) or isinstance(last_seq, bool) or last_seq < 0:
            await self.send_error("invalid_field", field="last_seq")
            return
        if self.last_seq is not None:
            await self.send_error("already_resumed")
            return
        self.last_seq = last_seq
        await self._catch_up()

    async def heal(self) -> None:
        """Events the channel layer lost (its group memberships were gone, say after a Redis
        flush) are sent from the table, without waiting for the client to notice."""
        if not hasattr(self, "label"):
            return  # refused at the handshake (4404): nothing to say
        # Access asked again, not assumed: a membership.revoked the layer lost with the rest
        # must not let the replay below carry this thread to someone who may no longer read it.
        state = await self._visible_state()
        if state is None:
            self.last_seq = math.inf
            await self.close(code=CloseCode.ACCESS_REVOKED)
            return
        self._thread_seq, self.can_type, self.label = state
        await self._presence_update(joining=True, announce=False)
        if self.last_seq is not None and self._thread_seq > self.last_seq:
            await self._catch_up()

    def pong_fields(self) -> dict:
        """The pong says where the thread stands, so a client can tell it fell behind even when
        no event reaches it: as read at the last heal, or what this socket sent since."""
        if not hasattr(self, "_thread_seq"):
            return {}
        return {"seq": max(self._thread_seq, self.last_seq or 0)}

    async def on_typing(self, content):
        now = time.monotonic()
        if not self.can_type or now - self._typed_at < TYPING_INTERVAL:
            return
        self._typed_at = now
        await broadcast.send_from_socket(broadcast.thread_group(self.thread_id), {
            "type": "thread.typing", "user_id": self.user.pk, "name": self.label,
            "sender": self.channel_name,
        })

    # --- group events -------------------------------------------------------------------------

    async def thread_event(self, message):
        event = message["event"]
        seq = event["seq"]
        if self.last_seq is None or seq <= self.last_seq:
            return  # not resumed yet (the replay will include it), or seen already
        if seq > self.last_seq + 1:
            await self._catch_up()  # a message went missing on the way: the table has it
            if seq <= self.last_seq:
                return
        await self.send_json(thread_events.frame_for_language(event, self.language))
        self.last_seq = seq

    async def thread_typing(self, message):
        if self.user is None or not self.user.is_authenticated:
            return  # names are for colleagues (see thread_presence)
        if message.get("sender") != self.channel_name:
            await self.send_json({"type": "typing", "user_id": message["user_id"],
                                  "name": message["name"]})

    async def thread_presence(self, message):
        readers = message["readers"]
        if self.user is None or not self.user.is_authenticated:
            # Who reads what is for colleagues only (like profiles): a visitor gets numbers.
            await self.send_json({"type": "presence", "readers": [],
                                  "members": len(readers), "anonymous": message["anonymous"]})
            return
        await self.send_json({"type": "presence", "readers": readers,
                              "anonymous": message["anonymous"]})

    async def membership_revoked(self, message):
        state = await self._visible_state()
        if state is None:
            await self.close(code=CloseCode.ACCESS_REVOKED)
            return
        _seq, self.can_type, self.label = state  # still here, perhaps no longer a member

    async def participation_changed(self, message):
        """Sent to user.<id> when a suspension begins or is lifted (moderation): what this
        socket may do (type) follows at once; reading goes on."""
        state = await self._visible_state()
        if state is None:
            await self.close(code=CloseCode.ACCESS_REVOKED)
            return
        _seq, self.can_type, self.label = state

    async def thread_access_changed(self, message):
        """Sent to the thread's group when it moved to another forum (moderation): a reader who
        may no longer see it is closed and gets nothing more, not even the `thread.moved`
        event that follows, nor a replay on a late `resume` (last_seq beyond every sequence)."""
        state = await self._visible_state()
        if state is None:
            self.last_seq = math.inf
            await self.close(code=CloseCode.ACCESS_REVOKED)
            return
        _seq, self.can_type, self.label = state

    # --- helpers ------------------------------------------------------------------------------

    async def _catch_up(self):
        """Everything after last_seq from the table, in order; too much means resync."""
        replay = await database_sync_to_async(thread_events.events_after)(
            self.thread_id, self.last_seq, REPLAY_LIMIT + 1)
        if len(replay) > REPLAY_LIMIT:
            self.last_seq = await self._current_seq()
            await self.send_json({"type": "resync", "seq": self.last_seq})
            return
        for event in replay:
            await self.send_json(
                thread_events.frame_for_language(event.as_message(), self.language))
            self.last_seq = event.seq

    @database_sync_to_async
    def _current_seq(self) -> int:
        return Thread.objects.filter(pk=self.thread_id).values_list("event_seq", flat=True) \
            .first() or 0

    @database_sync_to_async
    def _visible_state(self):
        """(current sequence, may type, name shown to others), or None if not visible."""
        # scope["user"] lives as long as the socket: drop the roles cached on it at connect,
        # or a revoked membership would still count.
        region_permissions.reset_cache(self.user)
        permissions.reset_participation_cache(self.user)
        threads = Thread.objects.select_related("forum__region")
        thread = permissions.visible_threads(self.user, threads).filter(
            pk=self.thread_id).first()
        if thread is None:
            return None
        label = ""
        if self.user.is_authenticated:
            profile = getattr(self.user, "profile", None)
            label = self.user.display_name
            if profile and profile.organisation:
                label = f"{label} ({profile.organisation})"
        return thread.event_seq, permissions.can_reply(self.user, thread), label

    async def _presence_snapshot(self, joining: bool | None):
        """The readers after this socket joined (True) or left (False); None: only read.
        Returns (named readers, anonymous count), or None without an answer."""
        if joining:
            user_id = self.user.pk if self.user.is_authenticated else None
            readers = await presence.join(self.thread_id, self.channel_name, user_id, self.label)
        elif joining is False:
            readers = await presence.leave(self.thread_id, self.channel_name)
        else:
            readers = await presence.readers(self.thread_id)
        if readers is None:
            return None
        names = sorted({(uid, label) for uid, label in readers if uid})
        anonymous = sum(1 for uid, _label in readers if not uid)
        return [{"user_id": uid, "name": label} for uid, label in names], anonymous

    async def _presence_update(self, joining: bool, announce: bool = True):
        snapshot = await self._presence_snapshot(joining)
        if snapshot is None or not announce:
            return
        if await self._opens_presence_window():
            await self._announce_presence(snapshot)
            asyncio.ensure_future(self._close_presence_window())

    @database_sync_to_async
    def _opens_presence_window(self) -> bool:
        """True: announce now. False: a window is open; its closing announcement carries this."""
        window = f"live:presence:window:{self.thread_id}"
        try:
            if cache.add(window, 1, PRESENCE_WINDOW):
                return True
            cache.set(f"{window}:changed", 1, PRESENCE_WINDOW * 10)
            return False
        except Exception:  # noqa: BLE001 - no shared cache: announce every change
            return True

    async def _close_presence_window(self):
        await asyncio.sleep(PRESENCE_WINDOW)
        changed = f"live:presence:window:{self.thread_id}:changed"
        try:
            if not await database_sync_to_async(cache.delete)(changed):
                return
        except Exception:  # noqa: BLE001
            return
        snapshot = await self._presence_snapshot(None)
        if snapshot is not None:
            await self._announce_presence(snapshot)

    async def _announce_presence(self, snapshot):
        readers, anonymous = snapshot
        try:
            await broadcast.send_from_socket(broadcast.thread_group(self.thread_id), {
                "type": "thread.presence", "readers": readers, "anonymous": anonymous})
        except Exception:  # noqa: BLE001
            return
