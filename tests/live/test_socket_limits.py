"""The per-user socket limit (10 → 4429) heals itself when a process dies without closing its
sockets: every socket is an entry with a deadline that its live process keeps renewing
(live/sockets.py). The same rules hold for the Redis store, shared by all processes, and the
in-memory one of a single process. And a reader that vanishes without a close costs no
traceback."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from autobahn.exception import Disconnected
from channels.testing import WebsocketCommunicator
from django.conf import settings

from community.asgi import application
from live import sockets
from live.consumers import MAX_SOCKETS_PER_USER, CloseCode
from tests.factories import make_post
from tests.live.conftest import ORIGIN, FakeClock, Reader, _headers, make_communicator, redis_client
from tests.live.test_thread_socket import public_question

db = sync_to_async


def redis_store(ttl: float, prefix: str):
    return sockets.RedisSockets(redis_client(), lambda key: f"{prefix}:{key}", ttl=ttl)


# --- the stores ------------------------------------------------------------------------------

def test_memory_store_refuses_the_eleventh_socket_until_one_is_released():
    store = sockets.MemorySockets(clock=FakeClock())
    assert all(store.claim(7, f"s{n}", 10) for n in range(10))
    assert not store.claim(7, "s10", 10)
    assert store.claim(8, "other-user", 10)  # per user
    store.release(7, "s3")
    assert store.claim(7, "s10", 10)
    assert store.count(7) == 10


def test_memory_store_forgets_sockets_that_nobody_renews():
    clock = FakeClock()
    store = sockets.MemorySockets(ttl=30, clock=clock)
    for n in range(10):
        store.claim(7, f"dead{n}", 10)
    clock.now += 29
    assert not store.claim(7, "alive", 10)  # within their TTL they count
    clock.now += 2
    assert store.count(7) == 0
    assert store.claim(7, "alive", 10)
    clock.now += 20
    store.renew({"alive": 7})
    clock.now += 25
    assert store.count(7) == 1  # renewed 25 s ago
    clock.now += 10
    assert store.count(7) == 0


def test_memory_store_does_not_bring_back_a_released_socket():
    store = sockets.MemorySockets(clock=FakeClock())
    store.claim(7, "s", 10)
    store.release(7, "s")
    store.renew({"s": 7})  # a heartbeat that raced the close
    assert store.count(7) == 0


@pytest.mark.redis
def test_redis_store_counts_the_sockets_of_all_processes_and_forgets_a_dead_ones(redis_prefix):
    """Two processes share one Redis: together they hold at most ten sockets of a user. When
    one dies (stops renewing), its sockets stop counting after the TTL; the other's stay."""
    survivor = redis_store(0.6, redis_prefix)
    dying = redis_store(0.6, redis_prefix)
    for n in range(5):
        assert survivor.claim(7, f"a{n}", 10)
        assert dying.claim(7, f"b{n}", 10)
    assert not survivor.claim(7, "a-extra", 10)
    assert not dying.claim(7, "b-extra", 10)
    assert survivor.count(7) == dying.count(7) == 10

    for _ in range(4):  # 0.8 s: past the TTL; only the survivor keeps renewing
        survivor.renew({f"a{n}": 7 for n in range(5)})
        asyncio.run(asyncio.sleep(0.2))
    assert survivor.count(7) == 5
    assert all(survivor.claim(7, f"a{n}", 10) for n in range(5, 10))
    assert not survivor.claim(7, "a-extra", 10)

    survivor.release(7, "a0")
    survivor.renew({"a0": 7})  # a heartbeat that raced the close does not revive it
    assert survivor.count(7) == 9


@pytest.mark.redis
def test_redis_store_claims_atomically_under_concurrency(redis_prefix):
    """Twenty handshakes of one user at once on several processes: exactly ten get in."""
    from concurrent.futures import ThreadPoolExecutor

    stores = [redis_store(30, redis_prefix) for _ in range(4)]
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda n: stores[n % 4].claim(7, f"s{n}", 10), range(20)))
    assert results.count(True) == 10
    assert stores[0].count(7) == 10


# --- the consumer ----------------------------------------------------------------------------

@pytest.fixture
def short_lived_entries(monkeypatch, request):
    """The process's store with a 0.6 s TTL and a 0.1 s heartbeat (the real ones: 30 s, 10 s),
    in Redis when the site uses it, else in memory."""
    if settings.REDIS_URL:
        store = redis_store(0.6, request.getfixturevalue("redis_prefix"))
    else:
        store = sockets.MemorySockets(ttl=0.6)
    monkeypatch.setattr(sockets, "_store", store)
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.1)
    return store


async def refused(thread_id: int, session_key: str) -> bool:
    communicator = make_communicator(f"/ws/threads/{thread_id}/", session_key=session_key)
    connected, _code = await communicator.connect()
    assert connected
    reader = Reader(communicator)
    first = await reader.communicator.receive_output(timeout=3)
    if first["type"] == "websocket.close":
        await communicator.disconnect()
        assert first.get("code") == CloseCode.TOO_MANY_SOCKETS
        return True
    await communicator.disconnect()
    return False


@pytest.mark.django_db(transaction=True)
async def test_sockets_left_counted_by_a_dead_process_stop_counting_after_the_ttl(
        short_lived_entries, session_for, caplog):
    thread, _asker, other, _moderator = await public_question()
    # A process died holding ten sockets of this user: nobody closes or renews them.
    for n in range(MAX_SOCKETS_PER_USER):
        await sync_to_async(short_lived_entries.claim)(other.pk, f"dead-{n}",
                                                       MAX_SOCKETS_PER_USER)
    assert await refused(thread.pk, await session_for(other))
    await asyncio.sleep(0.8)
    assert not await refused(thread.pk, await session_for(other))
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_stay_counted_past_the_ttl_and_uncount_when_closed(
        short_lived_entries, open_reader, session_for):
    thread, _asker, other, _moderator = await public_question()
    readers = [await open_reader(thread.pk, session_key=await session_for(other))
               for _ in range(MAX_SOCKETS_PER_USER)]
    await asyncio.sleep(1.2)  # two TTLs: only the heartbeat keeps them
    assert await sync_to_async(short_lived_entries.count)(other.pk) == MAX_SOCKETS_PER_USER
    assert await refused(thread.pk, await session_for(other))
    for reader in readers[:3]:
        await reader.disconnect()
    assert await sync_to_async(short_lived_entries.count)(other.pk) == MAX_SOCKETS_PER_USER - 3
    for reader in readers[3:]:
        await reader.ping()  # still open and served


# --- a client that vanishes ------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_a_message_for_a_client_that_just_vanished_is_dropped_quietly(session_for, caplog):
    """daphne raises autobahn's Disconnected for a send to a connection that has just dropped
    (its disconnect report is still on the way). The bench's readers that went away without a
    close made every such send an ERROR with a traceback; it is an everyday event."""
    thread, asker, other, _moderator = await public_question()
    vanished = False

    async def app(scope, receive, send):
        async def send_to_network(message):
            if vanished and message["type"] == "websocket.send":
                raise Disconnected("Attempt to send on a closed protocol")
            await send(message)

        await application(scope, receive, send_to_network)

    communicator = WebsocketCommunicator(app, f"/ws/threads/{thread.pk}/",
                                         headers=_headers(await session_for(other), ORIGIN))
    assert (await communicator.connect())[0]
    reader = Reader(communicator)
    reader.hello = await reader.frame()
    await reader.resume()
    await reader.ping()
    assert await sync_to_async(sockets.store().count)(other.pk) == 1

    vanished = True
    await db(make_post)(thread=thread, author=asker, body="Voor een lezer die net weg is.")
    await asyncio.sleep(0.3)
    assert not communicator.future.done()  # the consumer carries on until the disconnect
    await communicator.disconnect()
    assert await sync_to_async(sockets.store().count)(other.pk) == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.django_db(transaction=True)
async def test_relaying_an_event_takes_no_thread_pool_hop(open_reader, monkeypatch):
    """Channels' dispatch runs close_old_connections in the thread pool before every handler:
    one hop per message and socket, most of the cost of a post read by many (bench/live).
    The live consumers skip it; their database work closes stale connections itself."""
    import channels.consumer

    hops = []

    async def counted():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    thread, asker, _other, _moderator = await public_question()
    reader = await open_reader(thread.pk)
    await db(make_post)(thread=thread, author=asker, body="Zonder omweg.")
    created = await reader.frame()
    assert created["type"] == "post.created"
    await reader.ping()
    assert hops == []


@pytest.mark.redis  # the in-memory layer copies a group message for each socket
@pytest.mark.django_db(transaction=True)
async def test_an_event_is_encoded_once_for_all_its_readers_in_a_process(open_reader,
                                                                          monkeypatch):
    import channels.generic.websocket

    encoded = []
    real_encode = channels.generic.websocket.AsyncJsonWebsocketConsumer.encode_json.__func__

    async def counting(cls, content):
        encoded.append(content.get("type"))
        return await real_encode(cls, content)

    monkeypatch.setattr(channels.generic.websocket.AsyncJsonWebsocketConsumer, "encode_json",
                        classmethod(counting))
    thread, asker, _other, _moderator = await public_question()
    readers = [await open_reader(thread.pk) for _ in range(3)]
    encoded.clear()
    await db(make_post)(thread=thread, author=asker, body="Eén keer gecodeerd.")
    frames = [await reader.frame() for reader in readers]
    assert {f["seq"] for f in frames} == {frames[0]["seq"]}
    assert {f["html"] for f in frames} == {frames[0]["html"]}
    assert encoded.count("post.created") == 1


# --- entries the store lost come back ---------------------------------------------------------

async def test_the_heartbeat_puts_back_entries_the_store_lost_for_open_sockets(monkeypatch):
    """Redis flushed (or failed over, or evicted the key) under open sockets: without their
    entries the user's limit and the fan-out's "who is online" would be wrong for good. The
    next heartbeat puts back exactly the sockets still open, and not one that closed."""
    if settings.REDIS_URL:
        store = redis_store(30, f"test-live-sockets-{uuid.uuid4().hex}")
    else:
        store = sockets.MemorySockets(ttl=30)
    monkeypatch.setattr(sockets, "_store", store)
    monkeypatch.setattr(sockets, "_open", {})
    for n in range(3):
        assert await sockets.claim(7, f"open-{n}", MAX_SOCKETS_PER_USER)
    assert await sockets.claim(7, "closing", MAX_SOCKETS_PER_USER)
    lose = (lambda: store.client.delete(store.key(7))) if settings.REDIS_URL \
        else store.deadlines.clear
    await sync_to_async(lose)()
    await sockets.release(7, "closing")
    assert await sync_to_async(store.count)(7) == 0

    await sockets.renew_open_sockets()
    assert await sync_to_async(store.count)(7) == 3
    assert await sync_to_async(store.claim)(7, "closing", 4) is True  # it was not put back
    await sync_to_async(store.release)(7, "closing")
    await sockets.renew_open_sockets()  # nothing lost: nothing added
    assert await sync_to_async(store.count)(7) == 3
    for n in range(3):
        await sockets.release(7, f"open-{n}")
    assert await sync_to_async(store.count)(7) == 0
