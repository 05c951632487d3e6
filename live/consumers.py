"""The base of every live socket: one JSON protocol, the same limits, the same close codes
(docs/live-protocol.md), and revocation when the user's rights or session end.

Consumers are push-only: clients write through the site's forms; over the socket they only
say where they are (resume), that they are alive (ping) and that they type (typing).
"""

import asyncio
import contextlib
import json
import logging
import math
import re
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from core import session_clock

from . import broadcast, sockets

try:
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - the in-memory layer needs no Redis
    RedisError = OSError
try:
    from autobahn.exception import Disconnected
except ImportError:  # pragma: no cover - daphne (autobahn) is what serves the sockets
    class Disconnected(Exception):
        pass

# What a channel layer raises when its server goes away (Redis restart, network).
LAYER_ERRORS = (RedisError, OSError)

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
MAX_NESTING = 20  # arrays and objects inside each other; the messages of §3 need 1
RATE_PER_SECOND = 20
RATE_BURST = 40
MAX_DROPPED = 60  # messages over the rate before the socket is closed
MAX_SOCKETS_PER_USER = 10
HEAL_SECONDS = 5.0  # clients ping every 25 s; see on_ping
# Unannounced ends of a session (expiry; an account changed without save()) are found within
# this; announced ones (logout, deactivation, a new password) at once.
SESSION_RECHECK_SECONDS = 300


class CloseCode:
    """WebSocket close codes of this protocol (4000–4999 are application codes)."""

    RATE_LIMITED = 4008
    FRAME_TOO_BIG = 4009
    SESSION_ENDED = 4401
    ACCESS_REVOKED = 4403
    NOT_FOUND = 4404
    TOO_MANY_SOCKETS = 4429
    UNAVAILABLE = 4503  # the channel layer went away: reconnect and resume


_JSON_SPECIAL = re.compile(r'[][{}"\\]')


def too_deep(raw: str | bytes) -> bool:
    """Whether arrays and objects nest more than MAX_NESTING deep (brackets in strings aside).

    json.loads recurses once per level: a 60 KB frame of 30,000 "[" would end in RecursionError
    deep inside the decoder. This scan looks only at brackets, quotes and backslashes, stops at
    the first level too many, and is skipped for frames with fewer brackets than the limit."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return False
    depth, in_string, escaped_at = 0, False, -1
    for match in _JSON_SPECIAL.finditer(text):
        char, at = match.group(), match.start()
        if in_string:
            if at == escaped_at:
                continue
            if char == "\\":
                escaped_at = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_NESTING:
                return True
        else:
            depth -= 1
    return False


class LiveConsumer(AsyncJsonWebsocketConsumer):
    message_types: frozenset[str] = frozenset({"ping"})

    # --- connection ---------------------------------------------------------------------------

    async def __call__(self, scope, receive, send):
        """A channel layer that goes away under an open socket (Redis restart) ends it like a
        network failure would: the client reconnects and resumes from the event table."""
        async def send_unless_gone(message):
            # A message for a client that has just vanished (a tab whose network dropped):
            # daphne raises instead of dropping it, and its disconnect report follows.
            with contextlib.suppress(Disconnected):
                await send(message)

        try:
            await super().__call__(scope, receive, send_unless_gone)
        except LAYER_ERRORS as error:
            await self._layer_lost(error, send_unless_gone)
        except asyncio.CancelledError:
            # daphne cancels every socket when it shuts down (a deploy) and reports no
            # disconnect: uncount it, or the user's reconnecting tabs find it still counted.
            await self._release(leave_groups=False)
            raise

    async def connect(self):
        self.user = self.scope.get("user")
        self._tokens = float(RATE_BURST)
        self._refilled = time.monotonic()
        self._dropped = 0
        self._counted = False
        self._groups: list[str] = []
        self._expiry_task = None
        if self.user is not None and self.user.is_authenticated \
                and await self._session_seconds_left() <= 0:
            # Idle timeout or lifetime over, though no page load has logged the session out
            # yet: this is the anonymous visitor now (else every reconnect would end in 4401).
            from django.contrib.auth.models import AnonymousUser

            self.user = self.scope["user"] = AnonymousUser()
        try:
            if self.user is not None and self.user.is_authenticated:
                if not await self._count_socket():
                    await self.accept()
                    await self.close(code=CloseCode.TOO_MANY_SOCKETS)
                    return
                await self.join(broadcast.user_group(self.user.pk))
                self._expiry_task = asyncio.ensure_future(self._watch_session())
            await self.on_connect()
        except LAYER_ERRORS as error:  # the client retries with backoff
            await self._layer_lost(error, self.base_send)

    async def _layer_lost(self, error: Exception, send) -> None:
        """One warning, no traceback, nothing left counted against the user.

        The socket is accepted before it is closed: a close before the accept is an HTTP 403
        to the client, the answer to a foreign Origin, and 4503 says "try again" instead."""
        logger.warning("live: channel layer unavailable (%s); socket closed", error)
        await self._release(leave_groups=False)
        with contextlib.suppress(Exception):  # the connection may be gone already
            if not getattr(self, "_accepted", False):
                self._accepted = True
                await send({"type": "websocket.accept"})
            self._closing = True
            await send({"type": "websocket.close", "code": CloseCode.UNAVAILABLE})

    async def accept(self, subprotocol=None, headers=None):
        self._accepted = True
        await super().accept(subprotocol=subprotocol, headers=headers)

    async def close(self, code=None, reason=None):
        # Frames the client sent before it saw the close still arrive: they are not answered
        # (nor logged once per frame: a flood goes on until the client notices).
        self._closing = True
        await super().close(code=code, reason=reason)

    async def dispatch(self, message):
        """As Channels' dispatch, without its close_old_connections() before every handler.

        That call is a thread-pool hop for each message and each socket: for one post read by
        500 sockets, 500 hops, most of the cost of relaying it (bench/live). The handlers here
        reach the database only through database_sync_to_async, which closes stale connections
        itself, in the thread that uses them.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            # Every socket joins the user's group, which carries events meant for other kinds
            # of socket (participation.changed for thread sockets, say): not ours, not an error.
            logger.debug("live: %s ignores %s", type(self).__name__, message.get("type"))
            return
        await handler(message)

    # The last message encoded in this process and its text (see encode_json).
    _last_encoded: tuple[object, str] | None = None

    @classmethod
    async def encode_json(cls, content) -> str:
        """channels-redis hands one group message to all of a process's sockets as the same
        dict, so the readers of a thread relay the same event object one after another: encode
        it once, not once per reader. (Messages are never changed after they are sent.)"""
        last = LiveConsumer._last_encoded
        if last is not None and last[0] is content:
            return last[1]
        text = await super().encode_json(content)
        LiveConsumer._last_encoded = (content, text)
        return text

    async def on_connect(self):
        await self.accept()

    async def join(self, group: str) -> None:
        await broadcast.add_to_group(group, self.channel_name)
        self._groups.append(group)

    async def _renew_groups(self) -> None:
        """Join every group again. A membership the channel layer lost (Redis flushed or failed
        over to a replica, keys evicted under maxmemory, a socket older than group_expiry) is
        back; one that is there gets its expiry moved on. group_add is idempotent."""
        for group in list(self._groups):
            await broadcast.add_to_group(group, self.channel_name)

    async def disconnect(self, code):
        await self._release(leave_groups=True)
        await self.on_disconnect(code)

    async def _release(self, leave_groups: bool) -> None:
        """Leave the groups, stop the session watch, uncount the socket; once."""
        groups, self._groups = getattr(self, "_groups", []), []
        for group in groups if leave_groups else []:
            try:
                await broadcast.remove_from_group(group, self.channel_name)
            except Exception as error:  # noqa: BLE001 - the layer may be why we are closing
                logger.warning("live: could not leave %s (%r)", group, error)
        if getattr(self, "_expiry_task", None):
            self._expiry_task.cancel()
            self._expiry_task = None
        if getattr(self, "_counted", False):
            self._counted = False
            await self._uncount_socket()

    async def on_disconnect(self, code):
        pass

    # --- incoming -----------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if getattr(self, "_closing", False):
            return
        raw = text_data if text_data is not None else bytes_data
        size = len(raw.encode()) if isinstance(raw, str) else len(raw or b"")
        if size > MAX_FRAME_BYTES:
            logger.warning("live: frame of %d bytes refused", size)
            await self.close(code=CloseCode.FRAME_TOO_BIG)
            return
        if not self._take_token():
            self._dropped += 1
            if self._dropped == 1:
                await self.send_error("rate_limited")
            if self._dropped > MAX_DROPPED:
                logger.warning("live: socket closed for flooding")
                await self.close(code=CloseCode.RATE_LIMITED)
            return
        if too_deep(raw or ""):
            await self.send_error("too_deep")
            return
        try:
            content = json.loads(raw or "")
        except (TypeError, ValueError, RecursionError):
            await self.send_error("invalid_json")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_error("invalid_message")
            return
        if content["type"] not in self.message_types:
            await self.send_error("unknown_type")
            return
        handler = getattr(self, "on_" + content["type"].replace(".", "_"))
        await handler(content)

    async def on_ping(self, content):
        """A ping heals what Redis may have lost under this socket: its group memberships, and
        what it missed meanwhile (heal, per kind of socket), before the pong. At most once per
        HEAL_SECONDS: within the rate limit a client could otherwise make every socket of its
        user rejoin its groups and query the database 20 times a second. (Clients ping every
        25 s, so for them every ping heals.)"""
        now = time.monotonic()
        if now - getattr(self, "_healed_at", -math.inf) >= HEAL_SECONDS:
            self._healed_at = now
            await self._renew_groups()
            await self.heal()
            if getattr(self, "_closing", False):
                return  # healing found that access ended
        await self.send_json({"type": "pong", **self.pong_fields()})

    async def heal(self) -> None:
        """Send what the client missed while the group memberships were lost (per kind)."""

    def pong_fields(self) -> dict:
        """What this kind of socket adds to its pong."""
        return {}

    async def send_error(self, code: str, **fields) -> None:
        await self.send_json({"type": "error", "code": code, **fields})

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(RATE_BURST, self._tokens + (now - self._refilled) * RATE_PER_SECOND)
        self._refilled = now
        if self._tokens >= RATE_BURST - 1:
            # Quiet long enough for the bucket to refill: the flood, if any, is over. (Resetting
            # on every accepted message would let a steady 2x-rate client go on forever.)
            self._dropped = 0
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    # --- per-user limits and revocation -------------------------------------------------------

    async def _count_socket(self) -> bool:
        """Counts this socket against the user's limit (live/sockets.py: entries that a dead
        process leaves behind expire on their own); False if the user has too many."""
        self._socket_id = sockets.new_socket_id()
        self._counted = await sockets.claim(self.user.pk, self._socket_id, MAX_SOCKETS_PER_USER)
        return self._counted

    async def _uncount_socket(self) -> None:
        await sockets.release(self.user.pk, self._socket_id)

    async def session_ended(self, event):
        """Sent to user.<id> when a session logs out; the sockets of that session close."""
        if event.get("session_key") == self._session_key():
            await self.close(code=CloseCode.SESSION_ENDED)

    async def account_changed(self, event):
        """Sent to user.<id> when the account was deactivated or its password changed: each
        socket whose session no longer logs this user in closes."""
        if await self._session_seconds_left() <= 0:
            await self.close(code=CloseCode.SESSION_ENDED)

    def _session_key(self) -> str:
        session = self.scope.get("session")
        return broadcast.session_fingerprint(session.session_key) if session else ""

    async def _watch_session(self):
        """Close the socket when its session expires (idle timeout or absolute lifetime) or no
        longer logs the user in (account deactivated, password changed)."""
        try:
            while True:
                left = await self._session_seconds_left()
                if left <= 0:
                    await self.close(code=CloseCode.SESSION_ENDED)
                    return
                await asyncio.sleep(min(left + 1, SESSION_RECHECK_SECONDS))
        except asyncio.CancelledError:
            return

    @database_sync_to_async
    def _session_seconds_left(self) -> float:
        session = self.scope.get("session")
        if session is None:
            return 0
        store = session.__class__(session.session_key)
        data = store.load()  # as stored now: a logout or a new key (cycle_key) left it empty
        if not _logs_in(data, self.user.pk):
            return 0
        return session_clock.seconds_left(data, time.time())


def _logs_in(data: dict, user_id: int) -> bool:
    """Whether this stored session still logs the user in, as django.contrib.auth.get_user
    decides it for a request (backend, an active user, the password's session hash), without
    get_user's side effects on the session (flush, cycle_key)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, load_backend
    from django.utils.crypto import constant_time_compare

    if str(data.get(SESSION_KEY)) != str(user_id):
        return False
    backend_path = data.get(BACKEND_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return False
    user = load_backend(backend_path).get_user(user_id)  # None when it may not log in
    session_hash = data.get(HASH_SESSION_KEY)
    if user is None or not session_hash:
        return False
    return any(constant_time_compare(session_hash, known) for known in
               (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()))
