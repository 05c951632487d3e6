"""forums.structure: the forums' half of moderators' actions, on its own — counters recomputed
from the rows, places renumbered, hidden posts out of search and told to readers, a merge that
leaves its caller what to record. (tests/moderation/test_thread_actions.py runs them through
moderation's decisions, with audit, notification and refusals.)"""

import pytest
from django.core.exceptions import ValidationError

from forums import search, structure
from forums.models import Forum, Post, Thread, ThreadEvent, ThreadRedirect
from regions.models import Role
from tests.factories import make_member, make_post, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(forum) -> Thread:
    thread = make_thread(forum=forum, title="Drainage", body="Wie heeft ervaring?")
    for text in ("Ja, wij.", "Wij ook.", "Hier niet."):
        make_post(thread=thread, body=text)
    return Thread.objects.get(pk=thread.pk)


def _places(thread) -> list[tuple[str, int]]:
    return list(Post.objects.filter(thread=thread).order_by("position")
                .values_list("body", "position"))


def test_renumber_closes_the_gaps_in_order(thread):
    Post.objects.filter(thread=thread, position=2).delete()
    Post.objects.filter(thread=thread, position=4).update(position=9)
    structure.renumber(thread.pk)
    assert _places(thread) == [("Wie heeft ervaring?", 1), ("Wij ook.", 2), ("Hier niet.", 3)]


def test_recounting_reads_the_rows_and_skips_waiting_posts(thread, forum):
    last = Post.objects.get(thread=thread, position=4)
    Post.objects.filter(pk=last.pk).update(is_pending=True, position=None)
    Thread.objects.filter(pk=thread.pk).update(post_count=99, last_position=99)
    Forum.objects.filter(pk=forum.pk).update(post_count=99, thread_count=99)
    structure.recount_thread(thread.pk)
    structure.recount_forum(forum.pk)
    thread.refresh_from_db()
    forum.refresh_from_db()
    assert (thread.post_count, thread.last_position) == (3, 3)
    assert thread.last_post == Post.objects.get(thread=thread, position=3)
    assert (forum.thread_count, forum.post_count) == (1, 3)


def test_hiding_takes_the_post_out_of_search_and_tells_the_readers(thread, forum):
    post = structure.locked_post(Post.objects.get(thread=thread, position=2).pk)
    moderator = make_member(region=forum.region, role=Role.MODERATOR)
    structure.hide_post(post=post, hidden_by=moderator, reason="Reclame")
    post.refresh_from_db()
    assert post.is_hidden and post.hidden_by == moderator and post.hidden_reason == "Reclame"
    assert search.search(viewer=moderator, query="wij").total == 1  # "Wij ook." only
    assert ThreadEvent.objects.filter(thread=thread).last().type == "post.hidden"


def test_hiding_a_hidden_post_only_names_who_decided(thread, forum):
    post = structure.locked_post(Post.objects.get(thread=thread, position=2).pk)
    structure.hide_post(post=post, hidden_by=None, reason="Na drie meldingen")
    events = ThreadEvent.objects.filter(thread=thread).count()
    moderator = make_member(region=forum.region, role=Role.MODERATOR)
    structure.hide_post(post=post, hidden_by=moderator, reason="Bevestigd")
    post.refresh_from_db()
    assert (post.hidden_by, post.hidden_reason) == (moderator, "Bevestigd")
    assert ThreadEvent.objects.filter(thread=thread).count() == events


def test_restoring_brings_the_post_back_to_search_and_readers(thread, forum):
    post = structure.locked_post(Post.objects.get(thread=thread, position=2).pk)
    structure.hide_post(post=post, hidden_by=None, reason="Na drie meldingen")
    structure.restore_post(post=post)
    post.refresh_from_db()
    assert not post.is_hidden and post.hidden_reason == "" and post.hidden_at is None
    viewer = make_member(region=forum.region)
    assert search.search(viewer=viewer, query="wij").total == 2
    assert ThreadEvent.objects.filter(thread=thread).last().type == "post.restored"


def test_a_merge_leaves_the_merged_thread_object_for_the_record(thread, forum):
    into = make_thread(forum=forum, title="Het origineel")
    locked = structure.locked_threads([thread.pk, into.pk])
    merged = structure.merge_threads(thread=locked[thread.pk], into=locked[into.pk])
    source = locked[thread.pk]
    assert source.pk == thread.pk and source.title == "Drainage"  # still there to record
    assert not Thread.objects.filter(pk=thread.pk).exists()
    assert ThreadRedirect.objects.get(old_thread_id=thread.pk).thread_id == into.pk
    assert merged.first_position == 2 and len(merged.post_ids) == 4
    assert (locked[into.pk].post_count, locked[into.pk].last_position) == (5, 5)


def test_a_report_is_not_merged(forum):
    region_forum = Forum.objects.get(region=forum.region, is_reports=True)
    reporter = make_member(region=forum.region, role=Role.REPORTER)
    report = make_thread(forum=region_forum, author=reporter, kind="report", title="Verslag")
    into = make_thread(forum=forum)
    with pytest.raises(ValidationError):
        structure.merge_threads(thread=report, into=into)
    assert Thread.objects.filter(pk=report.pk).exists()


def test_a_title_is_cleaned_and_bounded():
    assert structure.clean_title("  Nieuwe\x00 titel ") == "Nieuwe titel"
    for bad in ("", "   ", "x" * (structure.MAX_TITLE + 1)):
        with pytest.raises(ValidationError):
            structure.clean_title(bad)
