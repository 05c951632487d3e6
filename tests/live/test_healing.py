"""Live delivery heals itself when the channel layer loses what it knew (Redis flushed, failed
over to a replica, keys evicted under maxmemory, a socket older than group_expiry): open sockets
lose their group memberships and hear nothing, yet at their next ping they are members again and
are sent what they missed, exactly once and in order (docs/live-protocol.md §8). The same for
the bell and the review queue. And no event sent to the user's group crashes any kind of socket.

The loss is simulated on this test run's own Redis database (FLUSHDB of REDIS_URL's db, never
FLUSHALL: other runs share the server), or, on the in-memory layer, by dropping its groups.
"""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

from forums import services as forum_services
from live import broadcast, presence, schemas, sockets
from live import consumers as live_consumers
from live.consumers import CloseCode
from moderation import posts as moderation_posts
from regions.models import Role
from tests.factories import make_forums, make_member, make_region, make_thread
from tests.live.conftest import make_communicator
from tests.live.test_notification_socket import mention, open_bell, setup_people, state
from tests.moderation.test_sockets import _async_world as moderation_world

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


@pytest.fixture(autouse=True)
def _heal_at_every_ping(monkeypatch):
    """These tests ping in quick succession; clients ping every 25 s, so each of theirs heals.
    (test_pings_in_quick_succession_heal_once keeps the production interval.)"""
    monkeypatch.setattr(live_consumers, "HEAL_SECONDS", 0)


def lose_layer_state() -> None:
    """What a FLUSHALL does to the site: every group membership (and every other key) gone."""
    if settings.REDIS_URL:
        import redis

        redis.Redis.from_url(settings.REDIS_URL).flushdb()
        return
    layer = get_channel_layer()
    # The in-memory layer keeps its groups in a dict; fail loudly if that ever changes.
    assert isinstance(layer, InMemoryChannelLayer) and isinstance(layer.groups, dict)
    layer.groups.clear()


@db
def public_thread_with_readers(logged_in: int):
    forum = make_forums(make_region())[2]  # public
    author = make_member(region=forum.region)
    thread = make_thread(forum=forum, author=author, title="Na de storing")
    members = [make_member(region=forum.region) for _ in range(logged_in)]
    return thread, author, members


@db
def reply(thread, author, body):
    return forum_services.create_post(actor=author, thread=thread, body=body)


async def readers_heal_after_the_layer_forgets(open_reader, session_for):
    thread, author, members = await public_thread_with_readers(logged_in=6)
    readers = [await open_reader(thread.pk, session_key=await session_for(member))
               for member in members]
    readers += [await open_reader(thread.pk) for _ in range(6)]  # anonymous
    start = readers[0].hello["seq"]

    lose_layer_state()
    for n in range(10):
        await reply(thread, author, f"Na de storing {n}")
    await readers[0].nothing(timeout=0.5)  # the doorbell rang for nobody: they were forgotten

    for reader in readers:
        await reader.send({"type": "ping"})
        frames = await reader.frames(11)
        *missed, pong = frames
        assert [(f["type"], f["seq"]) for f in missed] == \
            [("post.created", start + 1 + n) for n in range(10)]
        assert [f"Na de storing {n}" in f["html"] for n, f in enumerate(missed)] == [True] * 10
        assert pong == {"type": "pong", "seq": start + 10}

    # Members of their groups again: the next post arrives live, once, everywhere.
    await reply(thread, author, "Weer live")
    for reader in readers:
        created = await reader.frame()
        assert (created["type"], created["seq"]) == ("post.created", start + 11)
        assert (await reader.ping())["seq"] == start + 11  # nothing twice
    return thread, members, readers


@pytest.mark.redis
async def test_after_redis_loses_its_data_readers_get_every_post_once_in_order_at_next_ping(
        open_reader, session_for, monkeypatch):
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.1)
    thread, members, readers = await readers_heal_after_the_layer_forgets(open_reader,
                                                                        session_for)
    # The flush took the socket counts and presence too; both are back (heartbeat, pings).
    await asyncio.sleep(0.3)
    for member in members:
        assert await sync_to_async(sockets.store().count)(member.pk) == 1
    assert len(await presence.readers(thread.pk)) == len(readers)


async def test_after_the_layer_forgets_its_groups_readers_get_every_post_at_next_ping(
        open_reader, session_for):
    await readers_heal_after_the_layer_forgets(open_reader, session_for)


async def bell_heals_after_the_layer_forgets(session_for, monkeypatch):
    monkeypatch.setattr(sockets, "HEARTBEAT_SECONDS", 0.1)
    _region, thread, anna, bram, _carla = await setup_people()
    bell = await open_bell(await session_for(anna))
    assert await state(bell) == 0
    lose_layer_state()
    await mention(thread, bram, anna)
    assert await bell.receive_nothing(timeout=0.5)
    await bell.send_json_to({"type": "ping"})
    assert await state(bell) == 1
    assert await bell.receive_json_from(timeout=3) == {"type": "pong"}
    await bell.send_json_to({"type": "ping"})  # said once: the same count is not said again
    assert await bell.receive_json_from(timeout=3) == {"type": "pong"}
    # The fan-out rings only users with a socket entry (live/sockets.online); the heartbeat
    # has put back the entries the flush took.
    await asyncio.sleep(0.3)
    await mention(thread, bram, anna)  # live again
    assert await state(bell) == 2
    await bell.disconnect()


@pytest.mark.redis
async def test_after_redis_loses_its_data_the_bell_is_right_again_at_next_ping(session_for,
                                                                              monkeypatch):
    await bell_heals_after_the_layer_forgets(session_for, monkeypatch)


async def test_after_the_layer_forgets_its_groups_the_bell_is_right_at_next_ping(session_for,
                                                                               monkeypatch):
    await bell_heals_after_the_layer_forgets(session_for, monkeypatch)


async def queue_heals_after_the_layer_forgets(session_for):
    region, post, moderator, _second, _other, member, staff = await db(moderation_world)()
    queues = []
    for user, path in ((moderator, f"/ws/moderation/{region.pk}/"), (staff, "/ws/moderation/")):
        communicator = make_communicator(path, session_key=await session_for(user))
        assert (await communicator.connect())[0]
        queues.append(communicator)
    for communicator in queues:  # nothing changed since the page was shown
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}

    lose_layer_state()
    await db(moderation_posts.flag_post)(actor=member, post=post, reason="spam")
    for communicator in queues:
        assert await communicator.receive_nothing(timeout=0.3)
    watched = (region.pk, None)
    for communicator, region_id in zip(queues, watched, strict=True):
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=3) == \
            {"type": "queue.changed", "region_id": region_id}
        assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}
        await communicator.send_json_to({"type": "ping"})  # told once
        assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}

    await db(moderation_posts.hide_post)(actor=moderator, post=post, reason="Spam")
    for communicator in queues:  # live again
        assert (await communicator.receive_json_from(timeout=3))["type"] == "queue.changed"
    for communicator in queues:
        await communicator.disconnect()


@pytest.mark.redis
async def test_after_redis_loses_its_data_the_review_queue_refreshes_at_next_ping(session_for):
    await queue_heals_after_the_layer_forgets(session_for)


async def test_after_the_layer_forgets_its_groups_the_review_queue_refreshes(session_for):
    await queue_heals_after_the_layer_forgets(session_for)


# --- pong, as a client without JavaScript sees it ---------------------------------------------

async def test_the_thread_pong_carries_the_threads_current_seq(open_reader, session_for):
    thread, author, _members = await public_thread_with_readers(logged_in=0)
    reader = await open_reader(thread.pk, resume=False)
    pong = await reader.ping()  # before resume too: where the thread stands
    assert pong == {"type": "pong", "seq": reader.hello["seq"]}
    await reader.resume()
    await reply(thread, author, "Nog een")
    created = await reader.frame()
    assert await reader.ping() == {"type": "pong", "seq": created["seq"]}


async def test_the_other_sockets_answer_a_ping_with_a_bare_pong(session_for):
    region, _post, moderator, *_rest = await db(moderation_world)()
    session_key = await session_for(moderator)
    for path, greeting in (("/ws/ping/", None), ("/ws/notifications/", "notifications.state"),
                           (f"/ws/moderation/{region.pk}/", None)):
        communicator = make_communicator(path, session_key=session_key)
        assert (await communicator.connect())[0]
        if greeting:
            assert (await communicator.receive_json_from(timeout=3))["type"] == greeting
        await communicator.send_json_to({"type": "ping"})
        assert await communicator.receive_json_from(timeout=3) == {"type": "pong"}
        await communicator.disconnect()


# --- every user-group event, every kind of socket ---------------------------------------------

@db
def moderator_and_thread():
    region = make_region()
    forum = make_forums(region)[2]
    moderator = make_member(region=region, role=Role.MODERATOR)
    thread = make_thread(forum=forum, author=moderator)
    return region, moderator, thread


def user_group_events(region_id: int) -> dict[str, dict]:
    """Every type sent to user.<id> (live/schemas.py, held to the senders by the contract
    test), as its sender shapes it, and one that does not exist yet: a socket must survive
    what a later version adds."""
    return {
        "membership.revoked": {"type": "membership.revoked", "region_id": region_id},
        "participation.changed": {"type": "participation.changed"},
        "session.ended": {"type": "session.ended",
                          "session_key": broadcast.session_fingerprint("another-session")},
        "account.changed": {"type": "account.changed"},  # the session still holds: stays
        "future.event": {"type": "future.event"},
    }


SOCKET_KINDS = ("ping", "thread", "notifications", "moderation")
USER_GROUP_EVENTS = [*schemas.GROUP_MESSAGES["user"], "future.event"]


def test_the_user_group_events_tried_are_every_declared_one():
    assert set(user_group_events(1)) == set(USER_GROUP_EVENTS)
    assert set(SOCKET_KINDS) == set(schemas.SOCKET_FRAMES) - {"base"}
    for name, event in user_group_events(1).items():
        if name != "future.event":
            assert schemas.problems(event, schemas.GROUP_MESSAGES["user"]) == []


@pytest.mark.parametrize("event_type", USER_GROUP_EVENTS)
@pytest.mark.parametrize("kind", SOCKET_KINDS)
async def test_a_user_group_event_leaves_every_kind_of_socket_open(kind, event_type,
                                                                    session_for, caplog):
    region, moderator, thread = await moderator_and_thread()
    path = {"ping": "/ws/ping/", "thread": f"/ws/threads/{thread.pk}/",
            "notifications": "/ws/notifications/",
            "moderation": f"/ws/moderation/{region.pk}/"}[kind]
    communicator = make_communicator(path, session_key=await session_for(moderator))
    assert (await communicator.connect())[0]
    if kind == "thread":
        assert (await communicator.receive_json_from(timeout=3))["type"] == "hello"
    elif kind == "notifications":
        assert (await communicator.receive_json_from(timeout=3))["type"] == "notifications.state"

    await db(broadcast.send_now)(broadcast.user_group(moderator.pk),
                                 user_group_events(region.pk)[event_type])
    await asyncio.sleep(0.2)  # the event is handled before the ping that follows
    await communicator.send_json_to({"type": "ping"})
    while True:
        output = await communicator.receive_output(timeout=3)
        assert output["type"] == "websocket.send", output  # not closed, not crashed
        frame = json.loads(output["text"])
        if frame["type"] == "pong":
            break
        assert frame["type"] in ("presence", "notifications.state"), frame
    assert not communicator.future.done()
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    await communicator.disconnect()


async def test_pings_in_quick_succession_heal_once(open_reader, monkeypatch):
    """A ping flood within the rate limit does not make the socket rejoin its groups and read
    the thread each time: once per HEAL_SECONDS; the pongs in between still say where the
    socket stands."""
    monkeypatch.setattr(live_consumers, "HEAL_SECONDS", 60)
    thread, author, _members = await public_thread_with_readers(logged_in=0)
    reader = await open_reader(thread.pk)
    start = reader.hello["seq"]
    assert await reader.ping() == {"type": "pong", "seq": start}  # the first ping heals

    lose_layer_state()
    await reply(thread, author, "Tijdens de vloed")
    for _ in range(5):
        assert await reader.ping() == {"type": "pong", "seq": start}  # not healed again
    await reader.nothing(timeout=0.3)

    monkeypatch.setattr(live_consumers, "HEAL_SECONDS", 0)
    await reader.send({"type": "ping"})
    missed, pong = await reader.frames(2)
    assert (missed["type"], missed["seq"]) == ("post.created", start + 1)
    assert pong == {"type": "pong", "seq": start + 1}


async def test_a_revocation_the_layer_lost_is_found_at_the_next_ping(open_reader, session_for):
    """The layer forgot the socket's groups and with them the membership.revoked that would
    have closed it: the heal asks for access again before it replays anything, so the private
    thread's new posts never reach someone who is no longer a member."""
    from regions import services as region_services
    from tests.live.test_thread_socket import closed_region_threads

    members_thread, _public, member, moderator = await closed_region_threads()
    reader = await open_reader(members_thread.pk, session_key=await session_for(member))
    assert (await reader.ping())["type"] == "pong"

    lose_layer_state()
    await db(region_services.leave_region)(actor=member, region=members_thread.forum.region)
    await reply(members_thread, moderator, "Alleen voor leden")
    await reader.send({"type": "ping"})
    assert await reader.close_code(timeout=5) == CloseCode.ACCESS_REVOKED
