"""The bell's socket (/ws/notifications/) on the real ASGI stack: the count on connect (catch-up
after being offline), a live update when a colleague mentions you, every open tab told, nothing
for someone else's events, refusal for anonymous visitors."""

import json

import pytest
from asgiref.sync import sync_to_async

from forums import services as forum_services
from live.consumers import CloseCode
from notifications import services as notification_services
from regions import services as region_services
from tests.factories import make_forums, make_member, make_region
from tests.live.conftest import make_communicator

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


async def open_bell(session_key):
    communicator = make_communicator("/ws/notifications/", session_key=session_key)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def state(communicator, timeout=3):
    output = await communicator.receive_output(timeout=timeout)
    assert output["type"] == "websocket.send", output
    frame = json.loads(output["text"])
    assert frame["type"] == "notifications.state"
    return frame["unread"]


@db
def setup_people():
    region = make_region()
    forum = make_forums(region)[0]
    anna, bram, carla = (make_member(region=region) for _ in range(3))
    thread = forum_services.create_thread(actor=carla, forum=forum, title="Live", body="Start")
    return region, thread, anna, bram, carla


@db
def mention(thread, author, target):
    return forum_services.create_post(actor=author, thread=thread,
                                      body=f"@{target.username} hallo")


async def test_bell_updates_live_in_every_tab_and_catches_up_on_reconnect(session_for):
    region, thread, anna, bram, carla = await setup_people()
    anna_session = await session_for(anna)
    tab1, tab2 = await open_bell(anna_session), await open_bell(anna_session)
    bram_tab = await open_bell(await session_for(bram))
    assert await state(tab1) == 0 and await state(tab2) == 0 and await state(bram_tab) == 0

    await mention(thread, bram, anna)
    assert await state(tab1) == 1 and await state(tab2) == 1
    assert await bram_tab.receive_nothing(timeout=0.5)  # not his notification

    # Offline for a while: two more mentions; the reconnecting tab gets the count at once.
    await tab2.disconnect()
    await mention(thread, carla, anna)
    assert await state(tab1) == 2
    back = await open_bell(anna_session)
    assert await state(back) == 2

    # Reading in one tab clears the bell in the others.
    await db(notification_services.mark_all_read)(user=anna)
    assert await state(tab1) == 0 and await state(back) == 0
    for communicator in (tab1, back, bram_tab):
        await communicator.disconnect()


async def test_anonymous_visitor_is_refused_with_the_documented_code():
    communicator = make_communicator("/ws/notifications/")
    connected, _ = await communicator.connect()
    assert connected
    output = await communicator.receive_output(timeout=3)
    assert output == {"type": "websocket.close", "code": CloseCode.SESSION_ENDED}


async def test_losing_a_region_recounts_and_thread_events_are_ignored(session_for):
    region, thread, anna, bram, carla = await setup_people()
    anna_session = await session_for(anna)
    bell = await open_bell(anna_session)
    assert await state(bell) == 0
    await mention(thread, bram, anna)
    assert await state(bell) == 1
    await db(region_services.leave_region)(actor=anna, region=region)
    # The notification is about a members-only thread she can no longer read.
    assert await state(bell) == 0
    await bell.send_json_to({"type": "ping"})
    output = await bell.receive_output(timeout=2)
    assert json.loads(output["text"]) == {"type": "pong"}
    await bell.disconnect()


async def test_only_users_with_an_open_socket_count_as_online(session_for):
    from live import sockets

    region, thread, anna, bram, carla = await setup_people()
    bell = await open_bell(await session_for(anna))
    assert await state(bell) == 0
    assert await db(sockets.online)([anna.pk, bram.pk]) == {anna.pk}
    await bell.disconnect()
    assert await db(sockets.online)([anna.pk, bram.pk]) == set()
    # Bram had no socket: no doorbell, but the row is there when he comes.
    await mention(thread, anna, bram)
    bram_bell = await open_bell(await session_for(bram))
    assert await state(bram_bell) == 1
    await bram_bell.disconnect()
