"""How many live sockets each user has open, over all processes: the 10-sockets-per-user limit
(docs/live-protocol.md §7).

A plain counter (increment on connect, decrement on close) drifts for good when a process dies
without closing its sockets (kill -9, OOM, power loss): nobody decrements, and the user is
refused with 4429 until the key expires. So every socket is an entry with a deadline instead,
and live sockets keep renewing theirs: one heartbeat per process renews all of that process's
sockets every HEARTBEAT_SECONDS, so an entry outlives its process by at most TTL_SECONDS.

With Redis (a cache backed by it, i.e. REDIS_URL set) the entries are a sorted set per user,
scored by deadline on Redis' own clock, so every process counts the same sockets and clock skew
between machines does not matter. Without Redis there is one process, and the entries live in
its memory with the same rules.

Without a reachable Redis the limit is not enforced (it fails open, like the rest of the cache):
a Redis outage must not lock everybody out.
"""

import asyncio
import contextlib
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

TTL_SECONDS = 30.0
HEARTBEAT_SECONDS = 10.0

# Atomic check-and-claim: forget what expired, count the rest, claim a place if there is one.
# KEYS[1] the user's set; ARGV: socket id, TTL in ms, limit. Returns 1 (claimed) or 0.
_CLAIM = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# Renew the deadlines of sockets that are still open. KEYS: one set per socket (repeats allowed);
# ARGV[1] the TTL in ms, ARGV[i + 1] the socket id for KEYS[i]. XX: a socket released meanwhile
# (its close raced the heartbeat) is not brought back. Returns the indexes (1-based) of the
# sockets whose entry was missing: Redis lost it (flushed, failed over, evicted), or released.
_RENEW = """
local now = redis.call('TIME')
local deadline = now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[1])
local missing = {}
for i, key in ipairs(KEYS) do
  if redis.call('ZSCORE', key, ARGV[i + 1]) then
    redis.call('ZADD', key, 'XX', deadline, ARGV[i + 1])
    redis.call('PEXPIRE', key, tonumber(ARGV[1]))
  else
    missing[#missing + 1] = i
  end
end
return missing
"""

# Put back entries Redis lost, for sockets that are open all the same: no limit check (they
# were counted when they opened), NX so a deadline set meanwhile stays.
_RESTORE = """
local now = redis.call('TIME')
local deadline = now[1] * 1000 + math.floor(now[2] / 1000) + tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'NX', deadline, ARGV[i + 1])
  redis.call('PEXPIRE', key, tonumber(ARGV[1]))
end
return #KEYS
"""

_COUNT = """
local now = redis.call('TIME')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now[1] * 1000 + math.floor(now[2] / 1000))
return redis.call('ZCARD', KEYS[1])
"""


class RedisSockets:
    """The entries in Redis: shared by every process using the same Redis."""

    def __init__(self, client, make_key, ttl: float = TTL_SECONDS):
        self.client = client
        self.make_key = make_key
        self.ttl_ms = int(ttl * 1000)
        self._claim = client.register_script(_CLAIM)
        self._renew = client.register_script(_RENEW)
        self._restore = client.register_script(_RESTORE)
        self._count = client.register_script(_COUNT)

    def key(self, user_id: int) -> str:
        return self.make_key(f"live:sockets:{user_id}")

    def claim(self, user_id: int, socket_id: str, limit: int) -> bool:
        return bool(self._claim(keys=[self.key(user_id)], args=[socket_id, self.ttl_ms, limit]))

    def release(self, user_id: int, socket_id: str) -> None:
        self.client.zrem(self.key(user_id), socket_id)

    def renew(self, sockets: dict[str, int]) -> dict[str, int]:
        """sockets: socket id → user id, all open when the heartbeat began. Returns those whose
        entry Redis no longer had (see restore)."""
        items = list(sockets.items())
        missing = {}
        for start in range(0, len(items), 1000):  # bounded script arguments
            chunk = items[start:start + 1000]
            lost = self._renew(keys=[self.key(user_id) for _sid, user_id in chunk],
                               args=[self.ttl_ms, *(sid for sid, _user_id in chunk)])
            missing.update(chunk[int(i) - 1] for i in lost)
        return missing

    def restore(self, sockets: dict[str, int]) -> None:
        """Entries again for these open sockets, whose entries Redis lost."""
        items = list(sockets.items())
        for start in range(0, len(items), 1000):
            chunk = items[start:start + 1000]
            self._restore(keys=[self.key(user_id) for _sid, user_id in chunk],
                          args=[self.ttl_ms, *(sid for sid, _user_id in chunk)])

    def count(self, user_id: int) -> int:
        return int(self._count(keys=[self.key(user_id)]))

    def online(self, user_ids: list[int]) -> set[int]:
        """One round trip for any number of users: those with a socket whose deadline is ahead."""
        seconds, micros = self.client.time()
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        pipe = self.client.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.zcount(self.key(user_id), now_ms + 1, "+inf")
        return {uid for uid, n in zip(user_ids, pipe.execute(), strict=True) if n}


class MemorySockets:
    """The entries in this process's memory, for the single-process setup without Redis."""

    def __init__(self, ttl: float = TTL_SECONDS, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self.deadlines: dict[int, dict[str, float]] = {}

    def _live(self, user_id: int) -> dict[str, float]:
        now = self.clock()
        entries = {sid: d for sid, d in self.deadlines.get(user_id, {}).items() if d > now}
        if entries:
            self.deadlines[user_id] = entries
        else:
            self.deadlines.pop(user_id, None)
        return entries

    def claim(self, user_id: int, socket_id: str, limit: int) -> bool:
        entries = self._live(user_id)
        if len(entries) >= limit:
            return False
        entries[socket_id] = self.clock() + self.ttl
        self.deadlines[user_id] = entries
        return True

    def release(self, user_id: int, socket_id: str) -> None:
        self.deadlines.get(user_id, {}).pop(socket_id, None)
        self._live(user_id)

    def renew(self, sockets: dict[str, int]) -> dict[str, int]:
        deadline = self.clock() + self.ttl
        missing = {}
        for socket_id, user_id in sockets.items():
            entries = self.deadlines.get(user_id)
            if entries is not None and socket_id in entries:
                entries[socket_id] = deadline
            else:
                missing[socket_id] = user_id
        return missing

    def restore(self, sockets: dict[str, int]) -> None:
        deadline = self.clock() + self.ttl
        for socket_id, user_id in sockets.items():
            self.deadlines.setdefault(user_id, {}).setdefault(socket_id, deadline)

    def count(self, user_id: int) -> int:
        return len(self._live(user_id))

    def online(self, user_ids: list[int]) -> set[int]:
        return {uid for uid in user_ids if self._live(uid)}


_store = None


def store() -> RedisSockets | MemorySockets:
    """Where this process keeps the entries: Redis if the cache is Redis, else memory."""
    global _store
    if _store is None:
        from .cache_redis import cache_redis

        shared = cache_redis()
        _store = RedisSockets(*shared) if shared else MemorySockets()
    return _store


@receiver(setting_changed)
def _forget_store(*, setting: str, **kwargs) -> None:
    """A changed CACHES setting (tests do that) means another store: the next call builds it,
    as Django rebuilds its own caches, instead of keeping a client of the old one."""
    global _store
    if setting == "CACHES":
        _store = None


async def _call(method, *args):
    """Redis calls block: they leave the event loop. Memory ones are instant and stay."""
    if isinstance(method.__self__, MemorySockets):
        return method(*args)
    return await sync_to_async(method)(*args)


def online(user_ids) -> set[int]:
    """Which of these users have a live socket now, in any process: a fan-out rings only their
    doorbells (the others read their inbox from the database when they come). Without an
    answer from the store, everyone counts as online: a doorbell too many costs nothing."""
    ids = list(user_ids)
    try:
        return store().online(ids)
    except Exception as error:  # noqa: BLE001 - Redis away: ring them all, the layer decides
        logger.warning("live: could not ask who is online (%s)", error)
        return set(ids)


def new_socket_id() -> str:
    return uuid.uuid4().hex


# --- this process's open sockets and their heartbeat -----------------------------------------

_open: dict[str, int] = {}  # socket id → user id, for the sockets this process holds
_heartbeats: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


async def claim(user_id: int, socket_id: str, limit: int) -> bool:
    """Counts the socket against the user's limit; False (nothing counted) if it is full."""
    try:
        claimed = await _call(store().claim, user_id, socket_id, limit)
    except Exception as error:  # noqa: BLE001 - no Redis: the limit is not enforced
        logger.warning("live: socket limit not checked (%s)", error)
        return True
    if claimed:
        _open[socket_id] = user_id
        _ensure_heartbeat()
    return claimed


async def release(user_id: int, socket_id: str) -> None:
    if _open.pop(socket_id, None) is None:
        return
    with contextlib.suppress(Exception):  # an entry Redis lost meanwhile needs no removal
        await _call(store().release, user_id, socket_id)


def _ensure_heartbeat() -> None:
    loop = asyncio.get_running_loop()
    task = _heartbeats.get(loop)
    if task is None or task.done():
        for old_loop in [old for old, t in _heartbeats.items() if t.done()]:
            del _heartbeats[old_loop]
        _heartbeats[loop] = loop.create_task(_heartbeat())


async def _heartbeat() -> None:
    """Renews this process's sockets until it holds none (the next claim starts it again)."""
    while _open:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        try:
            await renew_open_sockets()
        except Exception as error:  # noqa: BLE001 - Redis away: sockets close with the layer
            logger.warning("live: could not renew the socket count (%s)", error)


async def renew_open_sockets() -> None:
    """One heartbeat: renew this process's entries, and put back those Redis lost while their
    sockets stayed open (else after a flush the user's sockets would go uncounted for good)."""
    missing = await _call(store().renew, dict(_open))
    # A socket that closed while the renewal ran is left out: its release removed it already.
    still_open = {sid: uid for sid, uid in missing.items() if _open.get(sid) == uid}
    if still_open:
        logger.info("live: %d socket entries were lost in the store; restored",
                    len(still_open))
        await _call(store().restore, still_open)
