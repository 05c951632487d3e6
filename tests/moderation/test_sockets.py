"""Moderation over WebSockets: the queue's doorbell (/ws/moderation/) and a suspended member's
open thread sockets losing their write abilities at once."""

import pytest
from asgiref.sync import sync_to_async

from moderation import people, posts
from moderation.models import RegionModerationSettings
from regions.models import Role
from tests.factories import make_member, make_region, make_user
from tests.live import conftest as live
from tests.live.conftest import make_communicator

# The live tests' fixtures: a logged-in session key, and a fresh channel layer per test.
session_for = live.session_for
_fresh_channel_layer = live._fresh_channel_layer

# --- Live ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
async def test_queue_socket_rings_when_anyone_acts(session_for, settings):
    world = await sync_to_async(_async_world)()
    region, post, moderator, second, other, member, staff = world
    readers = []
    for user in (moderator, second):
        communicator = make_communicator(f"/ws/moderation/{region.pk}/",
                                         session_key=await session_for(user))
        connected, _ = await communicator.connect()
        assert connected
        readers.append(communicator)
    staff_socket = make_communicator("/ws/moderation/",
                                     session_key=await session_for(staff))
    assert (await staff_socket.connect())[0]
    for refused_user, path in ((other, f"/ws/moderation/{region.pk}/"),
                               (member, f"/ws/moderation/{region.pk}/"),
                               (moderator, "/ws/moderation/")):
        refused = make_communicator(path, session_key=await session_for(refused_user))
        await refused.connect()
        output = await refused.receive_output(timeout=2)
        assert output["type"] == "websocket.close" and output["code"] == 4404
    await sync_to_async(posts.flag_post)(actor=member, post=post, reason="spam")
    for communicator in (*readers, staff_socket):
        frame = await communicator.receive_json_from(timeout=3)
        assert frame == {"type": "queue.changed", "region_id": region.pk}
    await sync_to_async(posts.hide_post)(actor=second, post=post, reason="Spam")
    for communicator in (*readers, staff_socket):
        assert (await communicator.receive_json_from(timeout=3))["type"] == "queue.changed"
    for communicator in (*readers, staff_socket):
        await communicator.disconnect()


def _async_world():
    region, other_region = make_region(), make_region()
    from tests.factories import make_forums, make_post, make_thread

    forum = make_forums(region)[2]
    author = make_member(region=region)
    thread = make_thread(forum=forum, author=author)
    post = make_post(thread=thread, author=author)
    RegionModerationSettings.objects.create(region=region, flag_threshold=5)
    return (region, post, make_member(region=region, role=Role.MODERATOR),
            make_member(region=region, role=Role.MODERATOR),
            make_member(region=other_region, role=Role.MODERATOR),
            make_member(region=region), make_user(staff=True, mfa=True))


open_reader = live.open_reader


@pytest.mark.django_db(transaction=True)
async def test_a_suspension_takes_typing_away_from_open_sockets_at_once(open_reader,
                                                                         session_for):
    import asyncio
    from datetime import timedelta

    from django.utils import timezone

    from forums.consumers import TYPING_INTERVAL

    region, post, moderator, _second, _other, member, _staff = \
        await sync_to_async(_async_world)()
    thread_id = await sync_to_async(lambda: post.thread_id)()
    writer = await open_reader(thread_id, session_key=await session_for(member))
    watcher = await open_reader(thread_id, session_key=await session_for(moderator))
    await writer.send({"type": "typing"})
    assert (await watcher.frame(skip=("presence",)))["type"] == "typing"
    await sync_to_async(people.suspend)(
        actor=moderator, user=member, region=region, reason="Afkoelen",
        ends_at=timezone.now() + timedelta(days=1))
    await writer.ping()  # the suspension's message has been handled by now
    await asyncio.sleep(TYPING_INTERVAL + 0.2)
    await writer.send({"type": "typing"})
    await watcher.nothing(timeout=1.0)
    # Reading goes on: the socket is still open and answers.
    await writer.ping()
