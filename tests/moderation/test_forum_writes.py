"""Moderation decides, forums writes: every row of a forum table that a moderation action
inserts, changes or deletes is written by forums' own code (forums.structure, forums.services,
their search index and thread events), never by moderation's. Each action runs with every SQL
write watched; the innermost project module on the stack of a write to a forums_ table must be
in forums/."""

import contextlib
import functools
import inspect
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from forums import services as forum_services
from forums.models import Forum, Tag
from moderation import approvals, people, posts, threads
from moderation.models import Flag
from tests.factories import make_member, make_post, make_thread

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = {"core", "live", "accounts", "regions", "forums", "notifications", "moderation",
        "community"}
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(forums_\w+)', re.I)


@functools.cache
def _app_of(filename: str) -> str | None:
    try:
        parts = Path(filename).resolve().relative_to(ROOT).parts
    except ValueError:
        return None
    return parts[0] if parts[0] in APPS else None


def _writing_app(frame) -> str | None:
    """The app of the innermost project frame from `frame` out (None: the test's own code)."""
    while frame is not None:
        app = _app_of(frame.f_code.co_filename)
        if app is not None:
            return app
        if _app_of_test(frame.f_code.co_filename):
            return None
        frame = frame.f_back
    return None


@functools.cache
def _app_of_test(filename: str) -> bool:
    return Path(filename).resolve().is_relative_to(ROOT / "tests")


@contextlib.contextmanager
def forum_writes():
    """(table, app) for each write to a forum table while the block runs."""
    seen = []

    def watch(execute, sql, params, many, context):
        found = WRITE.match(sql)
        if found:
            seen.append((found.group(1), _writing_app(inspect.currentframe().f_back)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        yield seen


def _waiting_post(world, settings):
    settings.MODERATION_NEW_MEMBER_GUARD = True
    return forum_services.create_post(actor=make_member(region=world.region),
                                      thread=world.thread, body="Mijn eerste bericht.")


def _flag_hidden(world):
    Flag.objects.create(post=world.post, user=world.member, reason=Flag.Reason.SPAM)
    posts.flag_post(actor=world.moderator, post=world.post, reason=Flag.Reason.SPAM)
    return world.post


def _other_forum(world):
    return Forum.objects.filter(region=world.other_region).order_by("position").first()


ACTIONS = {
    "flag (a moderator's hides)": lambda w, s: posts.flag_post(
        actor=w.moderator, post=w.post, reason=Flag.Reason.PRIVACY),
    "hide": lambda w, s: posts.hide_post(actor=w.moderator, post=w.post, reason="Weg"),
    "confirm hidden": lambda w, s: posts.hide_post(
        actor=w.moderator, post=_flag_hidden(w), reason="Bevestigd"),
    "restore": lambda w, s: posts.restore_post(actor=w.moderator, post=_flag_hidden(w)),
    "dismiss flags": lambda w, s: posts.dismiss_flags(actor=w.moderator, post=_flag_hidden(w)),
    "delete": lambda w, s: posts.delete_post(actor=w.moderator, post=w.post, reason="Weg"),
    "edit": lambda w, s: posts.edit_post(actor=w.moderator, post=w.post, body="Nieuw.",
                                         note="Nummer weg"),
    "lock": lambda w, s: threads.set_locked(actor=w.moderator, thread=w.thread, locked=True),
    "pin": lambda w, s: threads.set_pinned(actor=w.moderator, thread=w.thread, pinned=True),
    "rename": lambda w, s: threads.rename_thread(actor=w.moderator, thread=w.thread,
                                                 title="Nieuwe titel"),
    "kind": lambda w, s: threads.change_kind(actor=w.moderator, thread=w.thread,
                                             kind="question"),
    "tags": lambda w, s: threads.set_tags(
        actor=w.moderator, thread=w.thread,
        tags=[Tag.objects.create(region=w.region, name="Water", slug="water")]),
    "move": lambda w, s: threads.move_thread(actor=w.staff, thread=w.thread,
                                             forum=_other_forum(w), reason="Elders"),
    "merge": lambda w, s: threads.merge_threads(
        actor=w.moderator, thread=make_thread(forum=w.thread.forum), into=w.thread,
        reason="Dubbel"),
    "split": lambda w, s: threads.split_thread(
        actor=w.moderator, thread=w.thread, post_ids=[make_post(thread=w.thread).pk],
        title="Apart", forum=w.thread.forum, reason="Ander onderwerp"),
    "approve": lambda w, s: approvals.approve_post(actor=w.moderator,
                                                   post=_waiting_post(w, s)),
    "decline": lambda w, s: approvals.decline_post(actor=w.moderator,
                                                   post=_waiting_post(w, s), reason="Nee"),
    "withdraw": lambda w, s: approvals.withdraw_post(
        actor=(post := _waiting_post(w, s)).author, post=post),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_forum_tables_are_written_by_forums_alone(world, settings, action):
    with forum_writes() as writes:
        ACTIONS[action](world, settings)
    assert writes, "the action changed a forum table"
    # None: what the scenario itself sets up (a tag); a thread to merge or a waiting post it
    # makes through forums.services.
    assert [(table, app) for table, app in writes if app not in ("forums", None)] == []


def test_suspending_writes_no_forum_table(world):
    with forum_writes() as writes:
        people.suspend(actor=world.moderator, user=world.member, region=world.region,
                       reason="Rust", ends_at=timezone.now() + timedelta(days=1))
        approvals.vouch(actor=world.moderator, user=world.author, region=world.region)
    assert writes == []
