"""The live vocabulary holds: what the real services and sockets send matches live/schemas.py,
every declared message is really sent, and docs/live-protocol.md documents exactly those
messages with their fields.

The messages are captured, not written here: the services run (posting, editing, reacting,
accepting, flagging, hiding, restoring, deleting, splitting, merging, moving, leaving a region,
suspending, a new password, a logout, notifications) while real sockets of every kind are
open on the in-memory channel layer; every group message on the layer and every frame a
socket sends its client is recorded.
"""

import asyncio
import contextlib
import copy
import re
from datetime import timedelta
from pathlib import Path
from typing import get_type_hints

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from forums import consumers as forum_consumers
from forums import services as forum_services
from forums import thread_events
from forums.consumers import ThreadConsumer
from forums.models import Reaction, Thread
from live import schemas
from live.consumers import LiveConsumer
from moderation import people, posts, threads
from moderation.consumers import QueueConsumer
from notifications import services as notification_services
from notifications.consumers import NotificationConsumer
from notifications.models import Notification
from regions import services as region_services
from regions.models import Role
from tests.factories import make_forums, make_member, make_region, make_thread, make_user
from tests.live.conftest import make_communicator

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async
PROTOCOL = Path(settings.BASE_DIR) / "docs" / "live-protocol.md"
SOCKET_KIND = {LiveConsumer: "ping", ThreadConsumer: "thread",
               NotificationConsumer: "notifications", QueueConsumer: "moderation"}


class Recorded:
    def __init__(self):
        self.group_messages: list[tuple[str, dict]] = []
        self.frames: list[tuple[str, dict]] = []  # (socket kind, frame)

    def frame_types(self) -> set[tuple[str, str]]:
        return {(kind, frame.get("type")) for kind, frame in self.frames}

    def group_types(self) -> set[tuple[str, str]]:
        return {(schemas.group_kind(group), m.get("type")) for group, m in self.group_messages}


@pytest.fixture
def recorded(monkeypatch):
    """Copies of what crosses the layer and the sockets; the originals go on unchanged."""
    found = Recorded()
    layer = get_channel_layer()
    group_send = layer.group_send

    async def recording_group_send(group, message):
        found.group_messages.append((group, copy.deepcopy(message)))
        await group_send(group, message)

    send_json = LiveConsumer.send_json

    async def recording_send_json(consumer, content, close=False):
        found.frames.append((SOCKET_KIND[type(consumer)], copy.deepcopy(content)))
        await send_json(consumer, content, close)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    monkeypatch.setattr(LiveConsumer, "send_json", recording_send_json)
    return found


@db
def world():
    region = make_region()
    members_forum, _reports, public_forum = make_forums(region)
    asker = make_member(region=region, username="vrager")
    member = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    staff = make_user(staff=True, mfa=True)
    thread = make_thread(forum=public_forum, author=asker, title="Hoe meten we?",
                         kind=Thread.Kind.QUESTION)
    return region, members_forum, thread, asker, member, moderator, staff


@pytest.fixture
async def opened():
    """`await opened(path, session_key=None)`: a connected socket, closed at the end."""
    communicators = []

    async def open_(path: str, session_key: str | None = None):
        communicator = make_communicator(path, session_key=session_key)
        communicators.append(communicator)
        assert (await communicator.connect())[0]
        return communicator

    yield open_
    for communicator in communicators:
        if not communicator.future.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await communicator.disconnect(timeout=2)


async def resumed(communicator, *, last_seq: int) -> None:
    """Resumes and waits for the pong of a ping after it: the replay has been sent."""
    await communicator.send_json_to({"type": "resume", "last_seq": last_seq})
    await communicator.send_json_to({"type": "ping"})
    while (await communicator.receive_json_from(timeout=3))["type"] != "pong":
        pass


async def until_covered(recorded: Recorded, timeout: float = 10.0) -> None:
    """The sends after a commit run on the loop: wait until everything declared was seen."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if not missing_frames(recorded) and not missing_group_messages(recorded):
            return
        await asyncio.sleep(0.05)


def missing_frames(recorded: Recorded) -> set[tuple[str, str]]:
    seen = recorded.frame_types()
    declared = {(kind, name) for kind in SOCKET_KIND.values()
                for name in schemas.SOCKET_FRAMES[kind]}
    base = {name for _kind, name in seen if name in schemas.SOCKET_FRAMES["base"]}
    return (declared - seen) | {("base", name) for name in schemas.SOCKET_FRAMES["base"]
                                if name not in base}


def missing_group_messages(recorded: Recorded) -> set[tuple[str, str]]:
    declared = {(kind, name) for kind, messages in schemas.GROUP_MESSAGES.items()
                for name in messages}
    return declared - recorded.group_types()


async def run_every_service(recorded: Recorded, opened, session_for, monkeypatch) -> None:
    region, members_forum, thread, asker, member, moderator, staff = await world()
    asker_session, member_session = await session_for(asker), await session_for(member)
    anonymous = await opened(f"/ws/threads/{thread.pk}/")
    await anonymous.send_json_to({"type": "resume", "last_seq": "soon"})  # error with field
    await anonymous.send_json_to({"type": "resume", "last_seq": 0})
    asker_reader = await opened(f"/ws/threads/{thread.pk}/", asker_session)
    member_reader = await opened(f"/ws/threads/{thread.pk}/", member_session)
    for reader in (asker_reader, member_reader):
        await reader.send_json_to({"type": "resume", "last_seq": 0})
    ping = await opened("/ws/ping/", member_session)
    await ping.send_to(text_data="{not json")
    await ping.send_json_to({"type": "ping"})
    bell = await opened("/ws/notifications/", asker_session)
    queue = await opened(f"/ws/moderation/{region.pk}/", await session_for(moderator))
    await opened("/ws/moderation/", await session_for(staff))  # the combined queue
    await member_reader.send_json_to({"type": "typing"})
    for socket in (member_reader, bell, queue):
        await socket.send_json_to({"type": "ping"})

    reply = await db(forum_services.create_post)(
        actor=member, thread=thread, body=f"Elk kwartaal, @{asker.username}.")
    await db(forum_services.edit_post)(actor=member, post=reply, body="Elke maand.")
    await db(forum_services.toggle_reaction)(actor=asker, post=reply, kind=Reaction.Kind.USEFUL)
    await db(forum_services.accept_answer)(actor=asker, thread=thread, post=reply)
    await db(posts.flag_post)(actor=asker, post=reply, reason="spam")
    await db(posts.hide_post)(actor=moderator, post=reply, reason="Reclame")
    await db(posts.restore_post)(actor=moderator, post=reply)
    second = await db(forum_services.create_post)(actor=member, thread=thread, body="Of niet.")
    await db(forum_services.delete_post)(actor=member, post=second)
    notification = await db(Notification.objects.filter(recipient=asker).first)()
    await db(notification_services.mark_read)(user=asker, notification=notification)

    split_off = await db(threads.split_thread)(
        actor=moderator, thread=thread, post_ids=[reply.pk], title="Elke maand",
        forum=thread.forum, reason="Een eigen onderwerp")
    for path in (f"/ws/threads/{thread.pk}/", f"/ws/threads/{split_off.pk}/"):
        # The first one's replay has the split-off post's events rewritten.
        await resumed(await opened(path), last_seq=0)
    await db(threads.merge_threads)(actor=moderator, thread=split_off, into=thread,
                                           reason="Toch hetzelfde")
    monkeypatch.setattr(forum_consumers, "REPLAY_LIMIT", 2)
    await resumed(await opened(f"/ws/threads/{thread.pk}/"), last_seq=0)  # too far: resync
    await db(threads.move_thread)(actor=moderator, thread=thread, forum=members_forum,
                                         reason="Alleen voor leden")

    suspension = await db(people.suspend)(
        actor=moderator, user=member, region=region, reason="Even afkoelen",
        ends_at=timezone.now() + timedelta(days=1))
    await db(people.lift_suspension)(actor=moderator, suspension=suspension)
    await db(region_services.leave_region)(actor=member, region=region)

    @db
    def log_out_and_change_password():
        client = Client()
        client.force_login(member)
        client.logout()
        user = get_user_model().objects.get(pk=asker.pk)
        user.set_password("a-new-Sturdy-password-43")
        user.save()

    await log_out_and_change_password()
    await until_covered(recorded)


def documented(section: int) -> dict[str, str]:
    """The first-column names of the `type` tables in that section of the protocol, with
    their rows."""
    rows, current, in_table = {}, None, False
    for line in PROTOCOL.read_text().splitlines():
        heading = re.match(r"## (\d+)\.", line)
        if heading:
            current, in_table = int(heading.group(1)), False
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if cells[0] == "`type`":
            in_table = True
        elif in_table and current == section and not set(cells[0]) <= {"-", " "}:
            name = re.fullmatch(r"`([^`]+)`", cells[0])
            assert name, f"§{section}: a row without a type: {line}"
            rows[name.group(1)] = line
    return rows


def undocumented_fields(rows: dict[str, str], declared: dict[str, type]) -> list[str]:
    """Fields of a declared message that its row does not name in `code`."""
    found = []
    for name, row in rows.items():
        named = set(re.findall(r"`([a-z_]+)`", row))
        fields = get_type_hints(declared[name]) if name in declared else {}
        found += [f"{name}.{field}" for field in fields if field not in {"type"} | named]
    return found


async def test_every_message_sent_is_declared_documented_and_declared_messages_are_sent(
        recorded, opened, session_for, monkeypatch):
    await run_every_service(recorded, opened, session_for, monkeypatch)

    problems = []
    for kind, frame in recorded.frames:
        problems += [f"{kind} socket: {p}" for p in schemas.problems(frame,
                                                                    schemas.frames_of(kind))]
    for group, message in recorded.group_messages:
        declared = schemas.GROUP_MESSAGES.get(schemas.group_kind(group), {})
        problems += [f"to {group}: {p}" for p in schemas.problems(message, declared)]
        if message.get("type") == "thread.event":
            for language, _name in settings.LANGUAGES:
                problems += [f"to {group} ({language}): {p}" for p in schemas.problems(
                    thread_events.frame_for_language(message["event"], language),
                    schemas.THREAD_EVENTS)]
    assert problems == []
    assert missing_frames(recorded) == set()
    assert missing_group_messages(recorded) == set()

    # The document lists exactly the declared messages, each with every field.
    sections = {3: schemas.CLIENT_MESSAGES, 4: schemas.frames_of("thread"),
                10: schemas.SOCKET_FRAMES["notifications"],
                11: schemas.SOCKET_FRAMES["moderation"],
                12: {name: schema for messages in schemas.GROUP_MESSAGES.values()
                     for name, schema in messages.items()}}
    for section, declared in sections.items():
        rows = documented(section)
        assert set(rows) == set(declared), f"§{section}"
        assert undocumented_fields(rows, declared) == [], f"§{section}"
    for kind, messages in schemas.GROUP_MESSAGES.items():
        for name in messages:
            groups = re.findall(r"`([a-z_]+)\.[^`]*`", documented(12)[name].split("|")[2])
            assert set(groups) == {kind}, name
    sockets_take = ThreadConsumer.message_types | LiveConsumer.message_types
    assert sockets_take == set(schemas.CLIENT_MESSAGES)
