import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from forums import services
from forums.models import (
    Forum,
    ForumRead,
    Mention,
    Post,
    PostRevision,
    Reaction,
    Thread,
    ThreadRead,
    ThreadSubscription,
)
from regions.models import Role
from tests.factories import make_member, make_post, make_thread, make_user

pytestmark = pytest.mark.django_db


def test_new_regions_get_their_three_forums(region, forums):
    names = list(Forum.objects.filter(region=region).values_list("name", "visibility"))
    assert names == [("Algemeen", "members"), ("Verslagen", "public"),
                     ("Vragen en antwoorden", "public")]
    assert services.create_region_forums(region=region) == forums  # idempotent


def test_staff_adding_a_region_in_admin_creates_its_forums(staff_client):
    response = staff_client.post("/beheer/regions/region/add/", {
        "slug": "nieuwe-regio", "name": "Nieuwe regio", "provinces": "[]", "theme": "",
        "category": "", "is_open": "on", "position": "20", "source": "",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Forum.objects.filter(region__slug="nieuwe-regio").count() == 3


def test_create_thread_counts_and_watches(forums):
    forum = forums[0]
    author = make_member(region=forum.region)
    thread = services.create_thread(actor=author, forum=forum, title="  Veen  ",
                                    body="Hallo **allen**")
    forum.refresh_from_db()
    thread.refresh_from_db()
    assert (forum.thread_count, forum.post_count, forum.last_post_id) == \
        (1, 1, thread.last_post_id)
    assert (thread.title, thread.post_count, thread.last_position) == ("Veen", 1, 1)
    assert "<strong>allen</strong>" in thread.posts.get().html
    assert ThreadSubscription.objects.filter(user=author, thread=thread,
                                             level="watching").exists()


@pytest.mark.parametrize("title,body,field", [
    ("", "tekst", "title"), ("   ", "tekst", "title"), ("x" * 201, "tekst", "title"),
    ("Titel", "", "body"), ("Titel", " \n\t ", "body"), ("Titel", "x" * 20001, "body"),
    ("Titel", "|\n" * 2001, "body"),
])
def test_bad_thread_input_is_a_validation_error(forums, title, body, field):
    forum = forums[0]
    with pytest.raises(ValidationError) as error:
        services.create_thread(actor=make_member(region=forum.region), forum=forum,
                               title=title, body=body)
    assert field in error.value.message_dict
    assert not Thread.objects.exists()


def test_reply_positions_counters_and_read_mark(forums):
    thread = make_thread(forum=forums[2])
    replier = make_member(region=thread.forum.region)
    post = services.create_post(actor=replier, thread=thread, body="Eens.")
    thread.refresh_from_db()
    assert (post.position, thread.post_count, thread.last_poster) == (2, 2, replier)
    assert ThreadRead.objects.get(user=replier, thread=thread).last_read_position == 2
    assert ThreadSubscription.objects.filter(user=replier, thread=thread).exists()


def test_double_submit_with_the_same_key_creates_one_post(forums):
    thread = make_thread(forum=forums[2])
    replier = make_member(region=thread.forum.region)
    first = services.create_post(actor=replier, thread=thread, body="Eens.", idempotency_key="k1")
    again = services.create_post(actor=replier, thread=thread, body="Eens.", idempotency_key="k1")
    assert first.pk == again.pk
    assert thread.posts.count() == 2
    t1 = services.create_thread(actor=replier, forum=forums[2], title="T", body="b",
                                idempotency_key="k2")
    t2 = services.create_thread(actor=replier, forum=forums[2], title="T", body="b",
                                idempotency_key="k2")
    assert t1.pk == t2.pk


def test_locked_thread_refuses_replies_with_a_reason(forums):
    thread = make_thread(forum=forums[2])
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(PermissionDenied, match="gesloten"):
        services.create_post(actor=make_member(region=thread.forum.region), thread=thread,
                             body="Toch nog iets")
    assert thread.posts.count() == 1


def test_non_member_cannot_post_in_a_public_region_forum(forums):
    thread = make_thread(forum=forums[2])
    with pytest.raises(PermissionDenied):
        services.create_post(actor=make_user(), thread=thread, body="Hallo")


def test_mentions_link_existing_users_and_cap_at_twenty(forums):
    thread = make_thread(forum=forums[2])
    make_user(username="anna")
    names = [make_user(username=f"m{i}").username for i in range(25)]
    body = "Hoi @Anna en @niemand_bestaat " + " ".join(f"@{n}" for n in names)
    post = make_post(thread=thread, body=body)
    mentioned = set(Mention.objects.filter(post=post).values_list("user__username", flat=True))
    assert "anna" in mentioned
    assert len(mentioned) == services.MAX_MENTIONS
    assert 'href="/profiel/anna/"' in post.html
    assert "@niemand_bestaat" in post.html and "/profiel/niemand_bestaat/" not in post.html


def test_edit_keeps_every_earlier_version(forums):
    thread = make_thread(forum=forums[2], body="Versie 1")
    post = thread.posts.get()
    author = post.author
    services.edit_post(actor=author, post=post, body="Versie 2")
    services.edit_post(actor=author, post=post, body="Versie 3", title="Nieuwe titel")
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.body == "Versie 3" and post.edit_count == 2 and post.edited_at
    assert thread.title == "Nieuwe titel"
    assert list(PostRevision.objects.filter(post=post).order_by("created_at")
                .values_list("body", flat=True)) == ["Versie 1", "Versie 2"]


def test_someone_else_cannot_edit_but_a_moderator_can(forums):
    thread = make_thread(forum=forums[2])
    post = thread.posts.get()
    with pytest.raises(PermissionDenied):
        services.edit_post(actor=make_member(region=thread.forum.region), post=post, body="x")
    moderator = make_member(region=thread.forum.region, role=Role.MODERATOR)
    services.edit_post(actor=moderator, post=post, body="Door moderator")
    assert PostRevision.objects.get(post=post).edited_by == moderator


def test_soft_delete_keeps_the_thread_shape(forums):
    thread = make_thread(forum=forums[2])
    reply = make_post(thread=thread)
    make_post(thread=thread)
    services.delete_post(actor=reply.author, post=reply)
    reply.refresh_from_db()
    assert reply.is_deleted and reply.deleted_at
    assert list(thread.posts.values_list("position", flat=True)) == [1, 2, 3]
    with pytest.raises(PermissionDenied):
        services.edit_post(actor=reply.author, post=reply, body="terug")


def test_reactions_toggle_one_of_each_kind(forums):
    post = make_thread(forum=forums[2]).posts.get()
    member = make_member(region=post.thread.forum.region)
    assert services.toggle_reaction(actor=member, post=post, kind="useful") is True
    assert services.toggle_reaction(actor=member, post=post, kind="agree") is True
    post.refresh_from_db()
    assert post.reaction_counts == {"useful": 1, "agree": 1}
    assert services.toggle_reaction(actor=member, post=post, kind="useful") is False
    post.refresh_from_db()
    assert post.reaction_counts == {"agree": 1}
    assert Reaction.objects.filter(post=post).count() == 1
    with pytest.raises(ValidationError):
        services.toggle_reaction(actor=member, post=post, kind="boos")


def test_question_author_accepts_an_answer(forums):
    thread = make_thread(forum=forums[2], kind="question")
    answer = make_post(thread=thread)
    with pytest.raises(PermissionDenied):
        services.accept_answer(actor=answer.author, thread=thread, post=answer)
    services.accept_answer(actor=thread.author, thread=thread, post=answer)
    thread.refresh_from_db()
    assert thread.accepted_answer == answer
    with pytest.raises(ValidationError):
        services.accept_answer(actor=thread.author, thread=thread, post=thread.posts.first())


def test_reports_are_for_reporters_with_sections(forums):
    reports = forums[1]
    member = make_member(region=reports.region)
    with pytest.raises(PermissionDenied):
        services.create_thread(actor=member, forum=reports, title="V", body="b", kind="report")
    reporter = make_member(region=reports.region, role=Role.REPORTER)
    thread = services.create_thread(
        actor=reporter, forum=reports, title="Werksessie", body="Verslag", kind="report",
        report={"success_factors": "Vertrouwen", "obstacles": "", "lessons": "Begin *klein*"},
    )
    assert thread.report.lessons_html.strip() == "<p>Begin <em>klein</em></p>"
    from django.utils.translation import gettext

    assert [str(label) for label, _html in thread.report.sections()] == \
        [gettext("Success factors"), gettext("Lessons and recommendations")]


def test_reporter_without_mfa_cannot_publish_a_report(forums):
    reporter = make_member(region=forums[1].region, user=make_user(mfa=False),
                           role=Role.REPORTER)
    with pytest.raises(PermissionDenied):
        services.create_thread(actor=reporter, forum=forums[1], title="V", body="b",
                               kind="report")


def test_mark_thread_read_only_moves_forward_and_forum_mark_is_one_row(forums):
    thread = make_thread(forum=forums[2])
    for _ in range(3):
        make_post(thread=thread)
    thread.refresh_from_db()
    reader = make_member(region=thread.forum.region)
    services.mark_thread_read(user=reader, thread=thread, position=3)
    services.mark_thread_read(user=reader, thread=thread, position=2)
    assert ThreadRead.objects.get(user=reader, thread=thread).last_read_position == 3
    services.mark_forum_read(user=reader, forum=thread.forum)
    services.mark_forum_read(user=reader, forum=thread.forum)
    assert ForumRead.objects.filter(user=reader).count() == 1


def test_mark_forum_read_is_one_statement_regardless_of_size(forums, django_assert_num_queries):
    forum = forums[2]
    for _ in range(5):
        make_thread(forum=forum)
    reader = make_member(region=forum.region)
    services.mark_forum_read(user=reader, forum=forum)
    with django_assert_num_queries(1):
        services.mark_forum_read(user=reader, forum=forum)


def test_watch_mute_and_unwatch(forums):
    thread = make_thread(forum=forums[2])
    user = make_member(region=thread.forum.region)
    services.set_thread_watch(user=user, thread=thread, level="muted")
    assert ThreadSubscription.objects.get(user=user, thread=thread).level == "muted"
    services.set_thread_watch(user=user, thread=thread, level=None)
    assert not ThreadSubscription.objects.filter(user=user, thread=thread).exists()
    services.set_forum_watch(user=user, forum=thread.forum, watching=True)
    services.set_region_watch(user=user, region=thread.forum.region, watching=True)
    assert user.forum_subscriptions.count() == 1 and user.region_subscriptions.count() == 1


def test_rolled_back_post_leaves_no_trace(forums):
    from django.db import transaction

    thread = make_thread(forum=forums[2])
    with pytest.raises(RuntimeError), transaction.atomic():
        make_post(thread=thread)
        raise RuntimeError
    thread.refresh_from_db()
    assert thread.post_count == 1 and Post.objects.filter(thread=thread).count() == 1


def test_replying_keeps_a_chosen_watch_level_and_moves_the_read_mark(forums):
    thread = make_thread(forum=forums[2])
    user = make_member(region=thread.forum.region)
    services.set_thread_watch(user=user, thread=thread, level="muted")
    post = services.create_post(actor=user, thread=thread, body="Stil meelezen.")
    assert ThreadSubscription.objects.get(user=user, thread=thread).level == "muted"
    assert ThreadRead.objects.get(user=user, thread=thread).last_read_position == post.position
    newcomer = make_member(region=thread.forum.region)
    services.create_post(actor=newcomer, thread=thread, body="Ik doe mee.")
    assert ThreadSubscription.objects.get(user=newcomer, thread=thread).level == "watching"


def test_a_reply_moves_the_thread_sequence_once_with_its_event(forums):
    from forums.models import ThreadEvent

    thread = make_thread(forum=forums[2])
    before = Thread.objects.get(pk=thread.pk).event_seq
    post = services.create_post(actor=make_member(region=thread.forum.region), thread=thread,
                                body="Eén event.")
    thread.refresh_from_db()
    assert thread.event_seq == before + 1
    event = ThreadEvent.objects.get(thread=thread, seq=thread.event_seq)
    assert (event.type, event.payload["post_id"]) == ("post.created", post.pk)
    assert set(event.payload["html"]) == {code for code, _name in settings.LANGUAGES}
