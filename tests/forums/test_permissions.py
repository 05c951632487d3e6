"""Every role × every forum visibility, against both the list filter and the object check."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accounts.mfa import MFARequired
from forums import permissions
from forums.models import Forum, Post, Thread
from regions.models import Role
from tests.factories import make_member, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "non_member", "other_region_member", "reporter", "moderator",
         "staff"]
VIS = ["public", "members", "staff"]

# (view, start thread, reply, react, start report)
EXPECTED = {
    ("anonymous", "public"): (True, False, False, False, False),
    ("anonymous", "members"): (False, False, False, False, False),
    ("anonymous", "staff"): (False, False, False, False, False),
    ("member", "public"): (True, True, True, True, False),
    ("member", "members"): (True, True, True, True, False),
    ("member", "staff"): (False, False, False, False, False),
    ("non_member", "public"): (True, False, False, False, False),
    ("non_member", "members"): (False, False, False, False, False),
    ("non_member", "staff"): (False, False, False, False, False),
    ("other_region_member", "public"): (True, False, False, False, False),
    ("other_region_member", "members"): (False, False, False, False, False),
    ("other_region_member", "staff"): (False, False, False, False, False),
    ("reporter", "public"): (True, True, True, True, True),
    ("reporter", "members"): (True, True, True, True, True),
    ("reporter", "staff"): (False, False, False, False, False),
    ("moderator", "public"): (True, True, True, True, True),
    ("moderator", "members"): (True, True, True, True, True),
    ("moderator", "staff"): (False, False, False, False, False),
    ("staff", "public"): (True, True, True, True, True),
    ("staff", "members"): (True, True, True, True, True),
    ("staff", "staff"): (True, True, True, True, True),
}


def _user(role, region, other_region):
    return {
        "anonymous": lambda: AnonymousUser(),
        "member": lambda: make_member(region=region),
        "non_member": lambda: make_user(),
        "other_region_member": lambda: make_member(region=other_region),
        "reporter": lambda: make_member(region=region, role=Role.REPORTER),
        "moderator": lambda: make_member(region=region, role=Role.MODERATOR),
        "staff": lambda: make_user(staff=True, mfa=True),
    }[role]()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VIS)
def test_forum_permission_matrix(role, visibility):
    region, other = make_region(), make_region()
    forum = Forum.objects.create(region=region, slug=f"f-{visibility}", name="F",
                                 visibility=visibility)
    author = make_user(staff=True, mfa=True)
    thread = make_thread(forum=forum, author=author)
    post = thread.posts.get()
    user = _user(role, region, other)
    view, start, reply, react, report = EXPECTED[(role, visibility)]

    assert permissions.can_view_forum(user, forum) is view
    assert permissions.visible_forums(user, Forum.objects.filter(pk=forum.pk)).exists() is view
    assert permissions.can_view_thread(user, thread) is view
    assert permissions.visible_threads(user, Thread.objects.filter(pk=thread.pk)).exists() \
        is view
    assert permissions.visible_posts(user, Post.objects.filter(pk=post.pk)).exists() is view
    assert permissions.can_start_thread(user, forum) is start
    assert permissions.can_reply(user, thread) is reply
    assert permissions.can_react(user, post) is react
    assert permissions.can_start_report(user, forum) is report


@pytest.mark.parametrize("role,expected", [("anonymous", False), ("non_member", True),
                                           ("member", True), ("staff", True)])
def test_national_members_forum_is_for_everyone_logged_in(role, expected):
    forum = Forum.objects.create(region=None, slug="breed", name="Breed", visibility="members")
    user = _user(role, make_region(), make_region())
    assert permissions.can_view_forum(user, forum) is expected
    assert permissions.visible_forums(user, Forum.objects.filter(pk=forum.pk)).exists() \
        is expected
    assert permissions.can_start_thread(user, forum) is expected


def test_only_staff_start_threads_in_announcements_but_members_reply():
    forum = Forum.objects.create(region=None, slug="aank", name="Aankondigingen",
                                 visibility="public", staff_only_threads=True)
    staff, member = make_user(staff=True, mfa=True), make_user()
    assert permissions.can_start_thread(staff, forum)
    assert not permissions.can_start_thread(member, forum)
    thread = make_thread(forum=forum, author=staff)
    assert permissions.can_reply(member, thread)


def test_locked_thread_only_moderators_reply():
    region = make_region()
    forum = Forum.objects.create(region=region, slug="a", name="A", visibility="members")
    thread = make_thread(forum=forum)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    thread.refresh_from_db()
    assert not permissions.can_reply(make_member(region=region), thread)
    assert permissions.can_reply(make_member(region=region, role=Role.MODERATOR), thread)


def test_edit_rights_own_posts_and_moderators():
    region = make_region()
    forum = Forum.objects.create(region=region, slug="a", name="A", visibility="public")
    author = make_member(region=region)
    post = make_thread(forum=forum, author=author).posts.get()
    assert permissions.can_edit_post(author, post)
    assert not permissions.can_edit_post(make_member(region=region), post)
    assert permissions.can_edit_post(make_member(region=region, role=Role.MODERATOR), post)
    assert not permissions.can_edit_post(make_member(region=make_region(), role=Role.MODERATOR),
                                         post)
    assert permissions.can_view_history(author, post)
    assert not permissions.can_view_history(AnonymousUser(), post)


def test_archived_forum_is_hidden_except_from_staff():
    forum = Forum.objects.create(region=None, slug="oud", name="Oud", visibility="public",
                                 is_archived=True)
    assert not permissions.can_view_forum(AnonymousUser(), forum)
    assert not permissions.visible_forums(make_user(), Forum.objects.all()).filter(
        pk=forum.pk).exists()
    assert permissions.can_view_forum(make_user(staff=True), forum)


# (readable forum in the tag's region: none / members only / public) -> who sees its tags
TAG_EXPECTED = {
    "members": {"anonymous": False, "member": True, "non_member": False,
                "other_region_member": False, "reporter": True, "moderator": True,
                "staff": True},
    "staff": {role: role == "staff" for role in ROLES},
    "public": dict.fromkeys(ROLES, True),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", VIS)
def test_a_regions_tags_are_seen_by_whoever_reads_one_of_its_forums(role, visibility):
    from forums.models import Tag

    region, other = make_region(is_open=False), make_region()
    Forum.objects.create(region=region, slug="f", name="F", visibility=visibility)
    tag = Tag.objects.create(region=region, slug="geheimtag", name="Geheimtag")
    programme_tag = Tag.objects.get(slug="veenweide", region=None)
    user = _user(role, region, other)
    expected = TAG_EXPECTED[visibility][role]

    assert permissions.can_view_tag(user, tag) is expected
    assert permissions.visible_tags(user, Tag.objects.filter(pk=tag.pk)).exists() is expected
    assert permissions.can_view_tag(user, programme_tag)
    assert permissions.visible_tags(user, Tag.objects.filter(pk=programme_tag.pk)).exists()


def test_the_tags_of_an_archived_region_are_for_staff_only():
    from forums.models import Tag

    region = make_region(is_archived=True)
    Forum.objects.create(region=region, slug="f", name="F", visibility="public")
    tag = Tag.objects.create(region=region, slug="oud", name="Oud")
    assert not permissions.can_view_tag(make_member(region=region), tag)
    assert not permissions.visible_tags(AnonymousUser(), Tag.objects.filter(pk=tag.pk)).exists()
    assert permissions.can_view_tag(make_user(staff=True), tag)


# --- The gates: the same rules, raising with the reason (or MFARequired) ----------------------

def _locked(thread: Thread) -> Thread:
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    thread.refresh_from_db()
    return thread


@pytest.mark.parametrize(("who", "locked", "refusal"), [
    ("non_member", False, "cannot reply"),   # sees the public forum, may not post there
    ("non_member", True, "locked"),
    ("outsider", False, "not visible"),      # a members forum of another region
    ("outsider", True, "not visible"),       # locked or not, it is out of sight
])
def test_refuse_reply_tells_out_of_sight_from_may_not(who, locked, refusal):
    region = make_region()
    visibility = "public" if who == "non_member" else "members"
    forum = Forum.objects.create(region=region, slug="f", name="F", visibility=visibility)
    thread = make_thread(forum=forum)
    thread = _locked(thread) if locked else thread
    user = make_user() if who == "non_member" else make_member(region=make_region())
    assert not permissions.can_reply(user, thread)
    with pytest.raises(PermissionDenied) as refused:
        permissions.refuse_reply(user, thread)
    assert isinstance(refused.value, permissions.NotVisible) is (refusal == "not visible")
    assert permissions.can_view_thread(user, thread) is (refusal != "not visible")
    reason = "This thread is locked: no new replies." if refusal == "locked" \
        else "You cannot reply in this thread."
    assert str(refused.value) == gettext(reason)


def test_require_start_thread_gives_the_reason_and_sends_reporters_to_set_up_mfa():
    region = make_region()
    reports = Forum.objects.create(region=region, slug="v", name="V", visibility="public",
                                   is_reports=True)
    announcements = Forum.objects.create(region=region, slug="m", name="M",
                                         visibility="public", staff_only_threads=True)
    member = make_member(region=region)
    permissions.require_start_thread(member, reports)  # a discussion in the reports forum
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_start_thread(member, announcements)
    assert str(refused.value) == gettext("Only the programme team starts threads in this forum.")
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_start_thread(make_user(), reports)
    assert not isinstance(refused.value, MFARequired)
    reporter = make_member(region=region, user=make_user(mfa=False), role=Role.REPORTER)
    with pytest.raises(MFARequired):
        permissions.require_start_thread(reporter, reports)
    permissions.require_start_thread(make_member(region=region, role=Role.REPORTER), reports)


def test_require_manage_forums_refuses_members_and_sends_moderators_to_set_up_mfa():
    region = make_region()
    with pytest.raises(PermissionDenied) as refused:
        permissions.require_manage_forums(make_member(region=region), region)
    assert not isinstance(refused.value, MFARequired)
    moderator = make_member(region=region, user=make_user(mfa=False), role=Role.MODERATOR)
    with pytest.raises(MFARequired):
        permissions.require_manage_forums(moderator, region)
    for allowed in (make_member(region=region, role=Role.MODERATOR),
                    make_user(staff=True, mfa=True)):
        permissions.require_manage_forums(allowed, region)
        assert permissions.can_manage_forums(allowed, region)
