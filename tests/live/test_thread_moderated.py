"""Readers of a thread a moderator moves or merges (moderation.threads): a socket whose
reader may no longer see the thread is closed before the move is announced and gets nothing
more; readers who still see it are told; readers of a merged thread learn where it went."""

import pytest
from asgiref.sync import sync_to_async

from forums.models import Thread
from live.consumers import CloseCode
from moderation import threads
from regions.models import Role
from tests.factories import make_forums, make_member, make_post, make_region, make_thread
from tests.live.conftest import Closed

pytestmark = pytest.mark.django_db(transaction=True)

db = sync_to_async


@db
def public_thread_in_closed_region():
    """(public thread, members-only forum of the same region, member, moderator)."""
    region = make_region(is_open=False)
    members_forum, _reports, public_forum = make_forums(region)
    member = make_member(region=region)
    moderator = make_member(region=region, role=Role.MODERATOR)
    thread = make_thread(forum=public_forum, author=member, title="Openbaar")
    return thread, members_forum, member, moderator


async def test_a_move_closes_readers_who_lose_access_and_tells_the_rest(open_reader, session_for):
    thread, members_forum, member, moderator = await public_thread_in_closed_region()
    anonymous = await open_reader(thread.pk)
    colleague = await open_reader(thread.pk, session_key=await session_for(member))

    await db(threads.move_thread)(actor=moderator, thread=thread, forum=members_forum,
                                  reason="Alleen voor leden")

    moved = await colleague.frame()
    assert (moved["type"], moved["forum_id"]) == ("thread.moved", members_forum.pk)
    with pytest.raises(Closed) as closed:  # closed, and not even the move reached it
        await anonymous.frame()
    assert closed.value.code == CloseCode.ACCESS_REVOKED
    await db(make_post)(thread=await db(Thread.objects.get)(pk=thread.pk), author=member,
                        body="Alleen voor leden te lezen.")
    assert (await colleague.frame())["type"] == "post.created"


async def test_readers_of_a_merged_thread_are_shown_the_way(open_reader, session_for):
    thread, _members_forum, member, moderator = await public_thread_in_closed_region()
    target = await db(make_thread)(forum=thread.forum, author=member, title="Het andere")
    old_reader = await open_reader(thread.pk)
    new_reader = await open_reader(target.pk)

    await db(threads.merge_threads)(actor=moderator, thread=thread, into=target,
                                    reason="Dubbel")

    merged = await old_reader.frame()
    assert merged["type"] == "thread.merged" and merged["url"] == f"/onderwerp/{target.pk}/"
    assert (await new_reader.frame())["type"] == "posts.merged"
