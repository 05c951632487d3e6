"""A small moderated world: region A (where the thread lives) and region B, each with a
moderator; members, an author with a post, staff, and a member suspended in region A."""

from dataclasses import dataclass

import pytest

from accounts.models import User
from forums.models import Post, Thread
from regions.models import Region, Role
from tests.factories import make_forums, make_member, make_post, make_region, make_thread, make_user


@dataclass
class World:
    region: Region
    other_region: Region
    thread: Thread
    post: Post
    author: User
    member: User
    moderator: User
    other_moderator: User
    staff: User
    outsider: User

    def fresh(self, obj):
        obj.refresh_from_db()
        return obj


@pytest.fixture
def world(db) -> World:
    region, other_region = make_region(name="Regio Noord"), make_region(name="Regio Zuid")
    forum = make_forums(region)[2]  # public questions forum
    make_forums(other_region)
    author = make_member(region=region)
    thread = make_thread(forum=forum, author=author, title="Peilbuizen uitlezen")
    post = make_post(thread=thread, author=author, body="Bel me op 06-12345678, groet Piet.")
    return World(
        region=region, other_region=other_region, thread=thread, post=post, author=author,
        member=make_member(region=region),
        moderator=make_member(region=region, role=Role.MODERATOR),
        other_moderator=make_member(region=other_region, role=Role.MODERATOR),
        staff=make_user(staff=True, mfa=True),
        outsider=make_member(region=other_region),
    )


@pytest.fixture
def guard_on(settings, world):
    """The new-member guard, switched on after the world is built: its author's thread and post
    were published as usual. A module that holds back newcomers' posts names it in
    `pytestmark = pytest.mark.usefixtures("guard_on")`."""
    settings.MODERATION_NEW_MEMBER_GUARD = True


@pytest.fixture
def authors_told(monkeypatch):
    """What moderation asked notifications to tell, in order: the keyword arguments of each
    notify_moderation_action call (which still runs)."""
    from notifications import moderation_notices as notification_services

    told = []
    notify = notification_services.notify_moderation_action

    def recorder(**kwargs):
        told.append(kwargs)
        notify(**kwargs)

    monkeypatch.setattr(notification_services, "notify_moderation_action", recorder)
    return told
