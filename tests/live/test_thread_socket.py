"""The live thread socket (/ws/threads/<id>/) end to end on community.asgi.application: every
event type, who may watch, revocation, hostile input, catch-up after a gap, presence, typing."""

import asyncio
import contextlib
import json
import logging
import time

import pytest
import redis
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.utils import translation

from forums import services
from forums.models import Post, Reaction, Thread, ThreadEvent
from live import broadcast
from live.consumers import MAX_SOCKETS_PER_USER, CloseCode
from regions import services as region_services
from regions.models import Membership, Role
from tests.factories import make_forums, make_member, make_post, make_region, make_thread, make_user
from tests.live.conftest import Closed, Reader, make_communicator

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async  # every ORM call leaves the event loop


def no_errors_logged(caplog) -> None:
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@db
def public_question():
    """A public question thread in an open region: (thread, asker, other member, moderator)."""
    forum = make_forums(make_region())[2]
    asker = make_member(region=forum.region)
    thread = make_thread(forum=forum, author=asker, kind=Thread.Kind.QUESTION,
                         title="Hoe meten we de grondwaterstand?")
    other = make_member(region=forum.region)
    moderator = make_member(region=forum.region, role=Role.MODERATOR)
    return thread, asker, other, moderator


@db
def closed_region_threads():
    """A closed region's members-only and public threads: (members, public, member, moderator)."""
    region = make_region(is_open=False)
    members_forum, _reports, public_forum = make_forums(region)
    member = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    members_thread = make_thread(forum=members_forum, author=moderator, title="Intern")
    public_thread = make_thread(forum=public_forum, author=moderator, title="Openbaar")
    return members_thread, public_thread, member, moderator


def seqs(frames: list[dict]) -> list[int]:
    return [f["seq"] for f in frames]


# --- 1. every event type ---------------------------------------------------------------------

async def test_each_change_reaches_a_resumed_reader_in_order_with_its_fields(
        open_reader, session_for, caplog):
    thread, asker, other, moderator = await public_question()
    anonymous = await open_reader(thread.pk)
    logged_in = await open_reader(thread.pk, session_key=await session_for(other))
    start = anonymous.hello["seq"]
    assert start == 1  # the opening post

    post = await db(services.create_post)(actor=other, thread=thread,
                                          body="Peilbuizen **elk kwartaal** uitlezen.",
                                          idempotency_key="k-1")
    created = await anonymous.frame()
    assert created["type"] == "post.created"
    assert {k: created[k] for k in ("thread_id", "seq", "post_id", "position", "author_id",
                                    "idempotency_key", "page")} == {
        "thread_id": thread.pk, "seq": start + 1, "post_id": post.pk, "position": 2,
        "author_id": other.pk, "idempotency_key": "k-1", "page": 1}
    html = created["html"]
    assert html.count("<strong>elk kwartaal</strong>") == 1
    assert f'id="post-{post.pk}"' in html
    # One fragment for every reader: controls are present but marked for the browser to
    # switch on, and nothing belongs to a particular viewer.
    assert 'data-live-control="edit"' in html and 'data-live-control="react"' in html
    assert "csrfmiddlewaretoken" not in html and "csrf" not in html.lower()
    assert "reaction--mine" not in html and 'aria-pressed="true"' not in html
    assert (await logged_in.frame()) == created  # the author's own socket gets the same bytes

    await db(services.edit_post)(actor=other, post=post, body="Peilbuizen maandelijks uitlezen.")
    edited = await anonymous.frame()
    assert (edited["type"], edited["seq"], edited["post_id"]) == ("post.edited", start + 2,
                                                                  post.pk)
    assert "maandelijks" in edited["html"] and "kwartaal" not in edited["html"]

    await db(services.toggle_reaction)(actor=asker, post=post, kind=Reaction.Kind.USEFUL)
    reactions = await anonymous.frame()
    assert (reactions["type"], reactions["seq"], reactions["post_id"]) == (
        "post.reactions", start + 3, post.pk)
    assert f" {asker.pk} " in reactions["html"]  # data-reactor-ids, matched in the browser
    assert 'class="reaction__count">1<' in reactions["html"]

    await db(services.accept_answer)(actor=asker, thread=thread, post=post)
    accepted = await anonymous.frame()
    assert accepted == {"type": "thread.updated", "thread_id": thread.pk, "seq": start + 4,
                        "title": "Hoe meten we de grondwaterstand?", "is_locked": False,
                        "is_pinned": False, "accepted_post_id": post.pk}

    await db(services.set_thread_flags)(actor=moderator, thread=thread, is_pinned=True)
    pinned = await anonymous.frame()
    assert (pinned["type"], pinned["seq"], pinned["is_pinned"], pinned["is_locked"]) == (
        "thread.updated", start + 5, True, False)

    await db(services.set_thread_flags)(actor=moderator, thread=thread, is_locked=True)
    locked = await anonymous.frame()
    assert (locked["type"], locked["seq"], locked["is_pinned"], locked["is_locked"]) == (
        "thread.updated", start + 6, True, True)

    first = await db(Post.objects.get)(thread=thread, position=1)
    await db(services.edit_post)(actor=moderator, post=first, body="Eerste bericht, herzien.",
                                 title="Grondwater meten")
    renamed, first_edited = await anonymous.frames(2)
    assert (renamed["type"], renamed["seq"], renamed["title"], renamed["accepted_post_id"]) == (
        "thread.updated", start + 7, "Grondwater meten", post.pk)
    assert (first_edited["type"], first_edited["seq"], first_edited["post_id"]) == (
        "post.edited", start + 8, first.pk)
    assert "herzien" in first_edited["html"]

    await db(services.delete_post)(actor=moderator, post=post)
    deleted = await anonymous.frame()
    assert (deleted["type"], deleted["seq"], deleted["post_id"]) == ("post.deleted", start + 9,
                                                                     post.pk)
    with translation.override(settings.LANGUAGE_CODE):
        assert translation.gettext("This post has been deleted.") in deleted["html"]
    assert "post--deleted" in deleted["html"] and "maandelijks" not in deleted["html"]
    assert "Peilbuizen" not in deleted["html"]

    await anonymous.nothing(0.3)
    assert seqs(await logged_in.frames(8)) == list(range(start + 2, start + 10))
    no_errors_logged(caplog)


# --- 2. who may watch ------------------------------------------------------------------------

async def _refused_with(path: str, session_key: str | None = None) -> int:
    communicator = make_communicator(path, session_key=session_key)
    connected, _code = await communicator.connect()
    assert connected  # accepted, then closed with the reason
    code = await Reader(communicator).close_code(timeout=3)
    await communicator.disconnect()  # daphne reports the closed connection to the consumer
    return code


async def test_members_only_thread_is_refused_like_a_missing_one(open_reader, session_for,
                                                                 caplog):
    members_thread, public_thread, member, _moderator = await closed_region_threads()
    outsider = await db(make_user)()
    missing = members_thread.pk + 1000

    assert await _refused_with(f"/ws/threads/{members_thread.pk}/") == CloseCode.NOT_FOUND
    assert await _refused_with(f"/ws/threads/{members_thread.pk}/",
                               await session_for(outsider)) == CloseCode.NOT_FOUND
    assert await _refused_with(f"/ws/threads/{missing}/") == CloseCode.NOT_FOUND
    assert await _refused_with(f"/ws/threads/{missing}/",
                               await session_for(member)) == CloseCode.NOT_FOUND

    reader = await open_reader(members_thread.pk, session_key=await session_for(member))
    assert reader.hello == {"type": "hello", "thread_id": members_thread.pk, "seq": 1}
    anonymous = await open_reader(public_thread.pk)
    assert anonymous.hello["thread_id"] == public_thread.pk
    await anonymous.ping()
    no_errors_logged(caplog)


# --- 3. revocation ---------------------------------------------------------------------------

async def test_logout_closes_that_sessions_sockets_only(open_reader, session_for, caplog):
    members_thread, _public, member, _moderator = await closed_region_threads()
    leaving_key, staying_key = await session_for(member), await session_for(member)
    leaving = await open_reader(members_thread.pk, session_key=leaving_key)
    staying = await open_reader(members_thread.pk, session_key=staying_key)

    def log_out():
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = leaving_key
        return client.post("/account/logout/").status_code

    assert await db(log_out)() == 302
    assert await leaving.close_code(timeout=5) == CloseCode.SESSION_ENDED
    await staying.ping()
    await staying.nothing(0.5)
    no_errors_logged(caplog)


@pytest.mark.parametrize("how", ["removed", "left"])
async def test_losing_membership_closes_members_only_sockets(open_reader, session_for, caplog,
                                                             how):
    members_thread, public_thread, member, moderator = await closed_region_threads()
    key = await session_for(member)
    private = await open_reader(members_thread.pk, session_key=key)
    public = await open_reader(public_thread.pk, session_key=key)

    def end_membership():
        region = members_thread.forum.region
        if how == "removed":
            membership = Membership.objects.select_related("region").get(user=member,
                                                                         region=region)
            region_services.remove_member(actor=moderator, membership=membership)
        else:
            region_services.leave_region(actor=member, region=region)

    await db(end_membership)()
    assert await private.close_code(timeout=5) == CloseCode.ACCESS_REVOKED
    await public.ping()
    await db(make_post)(thread=public_thread, author=moderator, body="Nog steeds te lezen.")
    assert (await public.frame())["type"] == "post.created"
    no_errors_logged(caplog)


# --- 4. hostile and broken input -------------------------------------------------------------

async def test_bad_frames_get_error_codes_and_the_socket_stays_usable(open_reader, caplog):
    thread, *_ = await public_question()
    reader = await open_reader(thread.pk, resume=False)
    communicator = reader.communicator

    await communicator.send_to(text_data="{not json")
    assert await reader.frame() == {"type": "error", "code": "invalid_json"}
    await reader.ping()
    await reader.send({"type": "subscribe", "thread_id": 1})
    assert await reader.frame() == {"type": "error", "code": "unknown_type"}
    await reader.send(["resume", 0])
    assert (await reader.frame())["type"] == "error"
    for bad in ("x", -1, True, None, 1.5):
        await reader.send({"type": "resume", "last_seq": bad})
        assert await reader.frame() == {"type": "error", "code": "invalid_field",
                                        "field": "last_seq"}, bad
    await reader.ping()
    await reader.resume()  # the failed attempts did not count as a resume
    await reader.resume()
    assert await reader.frame() == {"type": "error", "code": "already_resumed"}
    await reader.ping()
    no_errors_logged(caplog)


async def test_a_frame_over_64_kib_closes_the_socket(open_reader, caplog):
    thread, *_ = await public_question()
    reader = await open_reader(thread.pk)
    await reader.communicator.send_to(text_data='{"type":"ping","x":"' + "a" * 64 * 1024 + '"}')
    assert await reader.close_code(timeout=3) == CloseCode.FRAME_TOO_BIG
    no_errors_logged(caplog)


async def test_a_flood_is_refused_then_closed(open_reader, caplog):
    thread, *_ = await public_question()
    reader = await open_reader(thread.pk)
    for _ in range(200):
        await reader.send({"type": "ping"})
    frames = []
    with pytest.raises(Closed) as closed:
        while True:
            frames.append(await reader.frame(timeout=5))
    assert closed.value.code == CloseCode.RATE_LIMITED
    errors = [f for f in frames if f["type"] == "error"]
    assert errors and all(e == {"type": "error", "code": "rate_limited"} for e in errors)
    assert len(errors) <= 3, errors  # said once per flood, not once per dropped message
    pongs = [f for f in frames if f["type"] == "pong"]
    assert 30 <= len(pongs) < 100  # the burst, less the resume and first ping
    no_errors_logged(caplog)


async def test_a_sustained_rate_over_the_limit_is_closed(open_reader, caplog):
    """Twice the allowed rate, steadily: half of it is let through, but the socket must still
    be closed once the dropped messages add up, with one error frame rather than one per
    dropped stretch."""
    thread, *_ = await public_question()
    reader = await open_reader(thread.pk)
    communicator = reader.communicator
    errors, closed_with, started = 0, None, time.monotonic()
    while closed_with is None and time.monotonic() - started < 8:
        await reader.send({"type": "ping"})
        await asyncio.sleep(1 / 40)
        while not communicator.output_queue.empty():
            output = communicator.output_queue.get_nowait()
            if output["type"] == "websocket.close":
                closed_with = output.get("code")
            elif json.loads(output["text"]).get("code") == "rate_limited":
                errors += 1
    assert closed_with == CloseCode.RATE_LIMITED, (closed_with, errors)
    assert errors <= 3
    no_errors_logged(caplog)


async def test_the_eleventh_socket_of_a_user_is_refused_until_one_closes(open_reader,
                                                                         session_for, caplog):
    thread, _asker, other, _moderator = await public_question()
    # Each socket carries its own session (devices), the limit is per user.
    readers = [await open_reader(thread.pk, session_key=await session_for(other))
               for _ in range(MAX_SOCKETS_PER_USER)]
    extra = make_communicator(f"/ws/threads/{thread.pk}/", session_key=await session_for(other))
    connected, _code = await extra.connect()
    assert connected
    assert await Reader(extra).close_code(timeout=3) == CloseCode.TOO_MANY_SOCKETS
    await extra.disconnect()  # as daphne does once the connection is closed
    refused_again = make_communicator(f"/ws/threads/{thread.pk}/",
                                      session_key=await session_for(other))
    assert (await refused_again.connect())[0]
    assert await Reader(refused_again).close_code(timeout=3) == CloseCode.TOO_MANY_SOCKETS
    await refused_again.disconnect()

    await readers[0].disconnect()
    again = await open_reader(thread.pk, session_key=await session_for(other))
    await again.ping()
    anonymous = await open_reader(thread.pk)  # the limit is per account, not global
    await anonymous.ping()
    no_errors_logged(caplog)


@pytest.mark.parametrize("origin", [b"https://evil.example", b"http://127.0.0.1.evil.example",
                                    None])
async def test_foreign_or_missing_origin_is_refused_at_the_handshake(origin, caplog):
    thread, *_ = await public_question()
    communicator = make_communicator(f"/ws/threads/{thread.pk}/", origin=origin)
    connected, _code = await communicator.connect()
    assert not connected
    no_errors_logged(caplog)


# --- 5. catch-up -----------------------------------------------------------------------------

async def test_a_returning_reader_gets_what_it_missed_once_and_in_order(open_reader, caplog):
    thread, asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk)
    last_seq = reader.hello["seq"]
    await reader.disconnect()

    def write_while_away():
        posts = [services.create_post(actor=other if i % 2 else asker, thread=thread,
                                      body=f"Bericht nummer {i}") for i in range(50)]
        for post in posts[:3]:
            services.edit_post(actor=post.author, post=post, body=f"{post.body} (bewerkt)")

    await db(write_while_away)()
    reader = await open_reader(thread.pk, resume=False)
    assert reader.hello["seq"] == last_seq + 53
    await reader.resume(last_seq)
    missed = await reader.frames(53, timeout=10)
    assert seqs(missed) == list(range(last_seq + 1, last_seq + 54))
    assert [f["type"] for f in missed] == ["post.created"] * 50 + ["post.edited"] * 3
    assert "Bericht nummer 49" in missed[49]["html"]
    await reader.nothing(0.3)

    await db(make_post)(thread=thread, author=other, body="Weer live.")
    live = await reader.frame()
    assert (live["type"], live["seq"]) == ("post.created", last_seq + 54)
    await reader.nothing(0.5)
    no_errors_logged(caplog)


async def test_a_reader_too_far_behind_is_told_to_resync(open_reader, caplog):
    thread, *_ = await public_question()

    def many_events():
        current = Thread.objects.get(pk=thread.pk).event_seq
        ThreadEvent.objects.bulk_create(
            ThreadEvent(thread_id=thread.pk, seq=current + n, type="post.reactions",
                        payload={"post_id": 0, "html": ""}) for n in range(1, 502))
        Thread.objects.filter(pk=thread.pk).update(event_seq=current + 501)
        return current + 501

    newest = await db(many_events)()
    reader = await open_reader(thread.pk, resume=False)
    await reader.resume(0)
    assert await reader.frame() == {"type": "resync", "seq": newest}
    await reader.nothing(0.3)
    await db(make_post)(thread=thread, body="Na de resync.")
    assert seqs([await reader.frame()]) == [newest + 1]
    no_errors_logged(caplog)


async def test_a_dropped_live_message_is_filled_in_from_the_table(open_reader, monkeypatch,
                                                                  caplog):
    thread, asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk)
    start = reader.hello["seq"]
    real_send_now = broadcast.send_now

    def lossy_send_now(group, event):
        if event.get("event", {}).get("seq") == start + 1:
            return  # lost on the way (full channel, Redis restart)
        real_send_now(group, event)

    monkeypatch.setattr(broadcast, "send_now", lossy_send_now)
    lost = await db(make_post)(thread=thread, author=other, body="Verloren onderweg.")
    await reader.nothing(0.5)
    later = await db(make_post)(thread=thread, author=asker, body="Komt wel aan.")
    first, second = await reader.frames(2)
    assert (first["seq"], first["post_id"], second["seq"], second["post_id"]) == (
        start + 1, lost.pk, start + 2, later.pk)
    await reader.nothing(0.5)
    no_errors_logged(caplog)


async def test_each_reader_gets_the_fragment_in_the_language_of_their_pages(
        open_reader, session_for, caplog):
    """A Dutch reader does not get English controls because an English reader posted: the
    fragment is rendered once per language and each socket gets its own (language cookie)."""
    thread, asker, other, _moderator = await public_question()
    dutch = await open_reader(thread.pk, session_key=await session_for(asker))
    english = await open_reader(thread.pk, language="en")
    unknown = await open_reader(thread.pk, language="fr")  # not offered: the default, Dutch
    late_english = await open_reader(thread.pk, language="en", resume=False)

    def post_in_english():
        with translation.override("en"):  # the acting request was an English page
            return services.create_post(actor=other, thread=thread, body="Grondwater **nu**.")

    post = await db(post_in_english)()
    in_dutch, in_english, in_default = (await dutch.frame(), await english.frame(),
                                        await unknown.frame())
    assert {f["post_id"] for f in (in_dutch, in_english, in_default)} == {post.pk}
    assert "Reageren met citaat" in in_dutch["html"] and "Reply with quote" not in in_dutch["html"]
    assert "Reply with quote" in in_english["html"] and "Reageren" not in in_english["html"]
    assert in_default["html"] == in_dutch["html"]
    assert {k: v for k, v in in_dutch.items() if k != "html"} == \
        {k: v for k, v in in_english.items() if k != "html"}
    # The replay from the table is in the reader's language too.
    await late_english.resume(last_seq=late_english.hello["seq"])
    replayed = await late_english.frame()
    assert replayed["post_id"] == post.pk and replayed["html"] == in_english["html"]
    no_errors_logged(caplog)


# --- 6. rollback -----------------------------------------------------------------------------

async def test_a_rolled_back_post_is_never_announced(open_reader, caplog):
    thread, _asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk)

    class Abort(Exception):
        pass

    def post_then_roll_back():
        try:
            with transaction.atomic():
                services.create_post(actor=other, thread=thread, body="Bedacht me.")
                raise Abort
        except Abort:
            pass

    await db(post_then_roll_back)()
    await reader.nothing(1.0)
    assert await db(ThreadEvent.objects.filter(thread=thread).count)() == 1
    assert await db(Thread.objects.values_list("event_seq", flat=True).get)(pk=thread.pk) == 1
    # The sequence was rolled back too: the next post is 2, with no gap to repair.
    await db(make_post)(thread=thread, author=other, body="Toch maar.")
    frame = await reader.frame()
    assert (frame["seq"], "Toch maar." in frame["html"]) == (2, True)
    no_errors_logged(caplog)


# --- 7. presence and typing ------------------------------------------------------------------

async def test_presence_lists_named_readers_and_counts_anonymous_ones(open_reader,
                                                                      session_for, caplog):
    thread, _asker, other, _moderator = await public_question()
    member = await open_reader(thread.pk, session_key=await session_for(other))
    await open_reader(thread.pk)
    presence = await member.frame(skip=())
    while presence["type"] == "presence" and presence["anonymous"] == 0:
        presence = await member.frame(skip=())  # our own arrival first
    display_name = await db(lambda: other.display_name)()
    assert presence["type"] == "presence"
    assert presence["anonymous"] == 1
    assert [r["user_id"] for r in presence["readers"]] == [other.pk]
    assert display_name in presence["readers"][0]["name"]
    no_errors_logged(caplog)


async def test_a_crowd_arriving_together_is_announced_in_a_few_frames(open_reader):
    """Ten readers arrive at once: the first hears the first change at once and the rest in
    one announcement when the second is over, not ten lists of up to ten names."""
    thread, _asker, _other, _moderator = await public_question()
    first = await open_reader(thread.pk)
    crowd = [await open_reader(thread.pk) for _ in range(9)]
    await first.nothing(2.5)
    counts = [frame["anonymous"] for frame in first.presence]
    assert counts[-1] == 10  # the last word is the whole crowd
    assert len(counts) <= 4
    assert len(crowd) == 9


async def test_anonymous_readers_get_numbers_not_names(open_reader, session_for):
    thread, asker, other, _moderator = await public_question()
    visitor = await open_reader(thread.pk)
    member = await open_reader(thread.pk, session_key=await session_for(other))
    presence = await visitor.frame(skip=())
    while presence["type"] != "presence" or not presence.get("members"):
        presence = await visitor.frame(skip=())
    assert presence["readers"] == [] and presence["members"] == 1
    assert presence["anonymous"] == 1
    await member.send({"type": "typing"})
    await visitor.nothing(0.5)  # nobody's name, not even while typing


async def test_typing_reaches_the_others_throttled_and_only_from_members(open_reader,
                                                                         session_for, caplog):
    thread, asker, other, _moderator = await public_question()
    typist = await open_reader(thread.pk, session_key=await session_for(other))
    watcher = await open_reader(thread.pk, session_key=await session_for(asker))
    anonymous = await open_reader(thread.pk)

    await typist.send({"type": "typing"})
    await typist.send({"type": "typing"})  # within 3 s: swallowed
    display_name = await db(lambda: other.display_name)()
    typing = await watcher.frame()
    assert typing["type"] == "typing" and typing["user_id"] == other.pk
    assert display_name in typing["name"]
    await anonymous.nothing(0.5)  # visitors get no names
    await typist.nothing(0.5)
    await watcher.nothing(0.5)

    await anonymous.send({"type": "typing"})
    await watcher.nothing(0.5)
    await typist.nothing(0.1)
    no_errors_logged(caplog)


# --- the channel layer goes away (Redis restart) ----------------------------------------------
# channels-redis raises redis' ConnectionError from group_add and from the socket's blocking
# receive when Redis goes away. The table is the truth and the browser reconnects with
# resume(last_seq), so this is an expected event: the socket ends cleanly, without a traceback,
# and without using up one of the user's ten sockets.

def socket_count(user) -> int:
    """The user's open sockets as LiveConsumer counts them (live/sockets.py)."""
    from live import sockets

    return sockets.store().count(user.pk)


async def test_a_lost_channel_layer_ends_the_socket_cleanly(open_reader, session_for,
                                                            monkeypatch, caplog):
    thread, _asker, other, _moderator = await public_question()
    layer = get_channel_layer()
    real_receive, gone = layer.receive, asyncio.Event()

    async def receive(channel):
        message, lost = (asyncio.ensure_future(real_receive(channel)),
                         asyncio.ensure_future(gone.wait()))
        await asyncio.wait({message, lost}, return_when=asyncio.FIRST_COMPLETED)
        if message.done():
            lost.cancel()
            return message.result()
        message.cancel()
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(layer, "receive", receive)
    reader = await open_reader(thread.pk, session_key=await session_for(other))
    assert await db(socket_count)(other) == 1
    gone.set()
    assert await reader.close_code(timeout=3) != 1000  # the client reconnects and resumes
    await reader.disconnect()  # daphne's report of the closed connection (if still listening)
    assert await db(socket_count)(other) == 0
    no_errors_logged(caplog)


async def test_a_socket_refused_for_a_missing_channel_layer_is_not_counted(session_for,
                                                                           monkeypatch, caplog):
    thread, _asker, other, _moderator = await public_question()

    async def group_add(group, channel):
        raise redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379.")

    monkeypatch.setattr(get_channel_layer(), "group_add", group_add)
    for _ in range(MAX_SOCKETS_PER_USER + 1):
        communicator = make_communicator(f"/ws/threads/{thread.pk}/",
                                         session_key=await session_for(other))
        connected, _code = await communicator.connect()  # a crash would raise here
        if connected:
            assert await Reader(communicator).close_code(timeout=3) != 1000
        await communicator.disconnect()
    assert await db(socket_count)(other) == 0
    no_errors_logged(caplog)


async def test_a_socket_cancelled_at_server_shutdown_is_not_left_counted(open_reader,
                                                                         session_for):
    """daphne cancels every application on SIGTERM (a deploy) instead of reporting a
    disconnect; the user's reconnecting tabs must not find their old sockets still counted."""
    thread, _asker, other, _moderator = await public_question()
    reader = await open_reader(thread.pk, session_key=await session_for(other))
    assert await db(socket_count)(other) == 1
    reader.communicator.future.cancel()  # daphne.server.Server.kill_all_applications
    with contextlib.suppress(asyncio.CancelledError):
        await reader.communicator.future
    assert await db(socket_count)(other) == 0
