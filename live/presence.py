"""Who reads a thread now, over all processes: the `presence` list (docs/live-protocol.md §4).

Every reading socket is an entry with a deadline that its pings move on (TTL_SECONDS); a socket
that vanished without a close drops out once its deadline passes. Changes are atomic: one
socket joining while another process renews or leaves never loses either entry (a cached dict
rewritten by whoever read it last would).

With Redis (the cache is Redis, i.e. REDIS_URL set) the entries of a thread are a sorted set
scored by deadline on Redis' own clock, with a hash beside it holding what each entry shows
(user id, name); every change is one Lua script. Without Redis there is one process, and the
entries live in its memory under a lock, with the same rules. A key Redis lost (flushed,
evicted) heals: each socket puts its entry back at its next ping.

Presence is a nicety: without an answer from the store the caller gets None and announces
nothing.
"""

import json
import logging
import threading
import time

from asgiref.sync import sync_to_async
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

TTL_SECONDS = 70.0  # clients ping every 25 s

# KEYS[1] the thread's sorted set (entry → deadline), KEYS[2] its hash (entry → JSON info).
# ARGV[1] "join" (add or renew), "leave" or "read"; ARGV[2] the entry; ARGV[3] its info;
# ARGV[4] the TTL in ms. Forgets what expired, applies the change, returns every live info.
_CHANGE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
local ttl = tonumber(ARGV[4])
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms)
for _, entry in ipairs(expired) do
  redis.call('HDEL', KEYS[2], entry)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if ARGV[1] == 'join' then
  redis.call('ZADD', KEYS[1], now_ms + ttl, ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
elseif ARGV[1] == 'leave' then
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('HDEL', KEYS[2], ARGV[2])
end
local infos = {}
for _, entry in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local info = redis.call('HGET', KEYS[2], entry)
  if info then
    infos[#infos + 1] = info
  end
end
return infos
"""

Reader = tuple[int | None, str]  # (user id or None for an anonymous socket, name shown)


class RedisPresence:
    """The entries in Redis: shared by every process using the same Redis."""

    def __init__(self, client, make_key, ttl: float = TTL_SECONDS):
        self.make_key = make_key
        self.ttl_ms = int(ttl * 1000)
        self._change = client.register_script(_CHANGE)

    def _run(self, thread_id: int, op: str, entry: str = "", info: str = "") -> list[Reader]:
        # Not the cache's old "live:presence:<id>" key: a process of the previous release
        # writing a pickled dict there during a rolling deploy would meet a sorted set.
        keys = [self.make_key(f"live:readers:{thread_id}"),
                self.make_key(f"live:readers:{thread_id}:who")]
        infos = self._change(keys=keys, args=[op, entry, info, self.ttl_ms])
        return [tuple(json.loads(raw)) for raw in infos]

    def join(self, thread_id: int, entry: str, user_id: int | None, name: str) -> list[Reader]:
        return self._run(thread_id, "join", entry, json.dumps([user_id, name]))

    def leave(self, thread_id: int, entry: str) -> list[Reader]:
        return self._run(thread_id, "leave", entry)

    def readers(self, thread_id: int) -> list[Reader]:
        return self._run(thread_id, "read")


class MemoryPresence:
    """The entries in this process's memory, for the single-process setup without Redis."""

    def __init__(self, ttl: float = TTL_SECONDS, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self.entries: dict[int, dict[str, tuple[float, Reader]]] = {}
        self.lock = threading.Lock()

    def _change(self, thread_id: int, entry: str | None,
                reader: Reader | None) -> list[Reader]:
        with self.lock:
            now = self.clock()
            live = {e: v for e, v in self.entries.get(thread_id, {}).items() if v[0] > now}
            if entry is not None:
                if reader is None:
                    live.pop(entry, None)
                else:
                    live[entry] = (now + self.ttl, reader)
            if live:
                self.entries[thread_id] = live
            else:
                self.entries.pop(thread_id, None)
            return [reader for _deadline, reader in live.values()]

    def join(self, thread_id: int, entry: str, user_id: int | None, name: str) -> list[Reader]:
        return self._change(thread_id, entry, (user_id, name))

    def leave(self, thread_id: int, entry: str) -> list[Reader]:
        return self._change(thread_id, entry, None)

    def readers(self, thread_id: int) -> list[Reader]:
        return self._change(thread_id, None, None)


_store = None


def store() -> RedisPresence | MemoryPresence:
    """Where this process keeps the entries: Redis if the cache is Redis, else memory."""
    global _store
    if _store is None:
        from .cache_redis import cache_redis

        shared = cache_redis()
        _store = RedisPresence(*shared) if shared else MemoryPresence()
    return _store


@receiver(setting_changed)
def _forget_store(*, setting: str, **kwargs) -> None:
    """A changed CACHES setting (tests do that) means another store, as in live/sockets.py."""
    global _store
    if setting == "CACHES":
        _store = None


async def _call(method, *args) -> list[Reader] | None:
    """Redis calls block: they leave the event loop. Memory ones are instant and stay."""
    try:
        if isinstance(method.__self__, MemoryPresence):
            return method(*args)
        return await sync_to_async(method)(*args)
    except Exception as error:  # noqa: BLE001 - presence is a nicety; Redis may be away
        logger.info("live: presence unavailable (%s)", error)
        return None


async def join(thread_id: int, entry: str, user_id: int | None,
               name: str) -> list[Reader] | None:
    """Adds the entry or moves its deadline on; the readers after that (None: no answer)."""
    return await _call(store().join, thread_id, entry, user_id, name)


async def leave(thread_id: int, entry: str) -> list[Reader] | None:
    return await _call(store().leave, thread_id, entry)


async def readers(thread_id: int) -> list[Reader] | None:
    return await _call(store().readers, thread_id)
