from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forums.models import Forum, Post, Thread
from regions.models import Role
from tests.conftest import page_queries
from tests.factories import make_forums, make_member, make_post, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db


def count_queries(client, url):
    """Each count is a first visit: the view is counted and fragments are rendered afresh."""
    return page_queries(client, url, first_visit=True)


@pytest.mark.parametrize("logged_in", [False, True])
def test_thread_page_queries_do_not_grow_with_thread_length(client, forums, logged_in):
    thread = make_thread(forum=forums[2])
    people = [make_member(region=forums[2].region) for _ in range(3)]
    if logged_in:
        client.force_login(make_member(region=forums[2].region))
    url = thread.get_absolute_url() + "?page=1"
    for i in range(2):
        make_post(thread=thread, author=people[i % 3])
    small = count_queries(client, url)
    from forums import services

    for i in range(60):
        post = make_post(thread=thread, author=people[i % 3], body=f"Reactie {i} @{people[1]}")
        services.toggle_reaction(actor=people[(i + 1) % 3], post=post, kind="useful")
    big_first = count_queries(client, url)
    big_last = count_queries(client, thread.get_absolute_url() + "?page=3")
    # Reading to the end of a thread also ends its running reply notification (one UPDATE),
    # so a last page may take one statement more than a page in the middle.
    assert small == big_last
    assert big_first in (small, small - 1)


@pytest.mark.parametrize("logged_in", [False, True])
def test_forum_page_and_latest_queries_do_not_grow(client, forums, logged_in):
    forum = forums[2]
    if logged_in:
        client.force_login(make_member(region=forum.region))
    for _ in range(2):
        make_thread(forum=forum)
    small = [count_queries(client, forum.get_absolute_url()), count_queries(client, "/nieuw/"),
             count_queries(client, forum.region.get_absolute_url()), count_queries(client, "/")]
    for _ in range(20):
        thread = make_thread(forum=forum)
        make_post(thread=thread)
    big = [count_queries(client, forum.get_absolute_url()), count_queries(client, "/nieuw/"),
           count_queries(client, forum.region.get_absolute_url()), count_queries(client, "/")]
    assert small == big


def test_unread_page_queries_do_not_grow_and_list_unread(client, forums):
    forum = forums[2]
    reader = make_member(region=forum.region)
    client.force_login(reader)
    threads = [make_thread(forum=forum) for _ in range(2)]
    for t in threads:
        make_post(thread=t, author=reader)
        make_post(thread=t)
    small = count_queries(client, "/ongelezen/")
    more = [make_thread(forum=forum) for _ in range(15)]
    for t in more:
        make_post(thread=t, author=reader)
        make_post(thread=t)
    assert count_queries(client, "/ongelezen/") == small
    html = client.get("/ongelezen/").content.decode()
    assert more[0].title in html


def test_opening_a_thread_jumps_to_the_first_unread_post(client, forums):
    thread = make_thread(forum=forums[2])
    reader = make_member(region=forums[2].region)
    client.force_login(reader)
    client.get(thread.get_absolute_url())
    new = make_post(thread=thread)
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"].endswith(f"?page=1#post-{new.pk}")


def test_post_url_resolves_to_page_and_anchor(client, forums):
    thread = make_thread(forum=forums[2])
    posts = [make_post(thread=thread) for _ in range(30)]
    response = client.get(reverse("forums:post", args=[posts[-1].pk]))
    assert response["Location"] == f"{thread.get_absolute_url()}?page=2#post-{posts[-1].pk}"


def test_private_forum_thread_is_404_for_outsiders(client, forums):
    thread = make_thread(forum=forums[0])  # members-only
    assert client.get(thread.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(thread.get_absolute_url()).status_code == 404
    assert client.get(reverse("forums:post", args=[thread.last_post_id])).status_code == 404
    client.force_login(make_member(region=forums[0].region))
    assert client.get(thread.get_absolute_url()).status_code == 200


def test_reply_form_creates_one_post_on_double_submit(client, forums):
    thread = make_thread(forum=forums[2])
    client.force_login(make_member(region=forums[2].region))
    data = {"body": "Dubbel geklikt", "idempotency_key": "abc123"}
    first = client.post(reverse("forums:reply", args=[thread.pk]), data)
    second = client.post(reverse("forums:reply", args=[thread.pk]), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert thread.posts.count() == 2


@pytest.mark.parametrize("body", ["", "   ", "x" * 20001, "|\n" * 2001])
def test_bad_reply_keeps_the_text_and_explains(client, forums, body):
    thread = make_thread(forum=forums[2])
    client.force_login(make_member(region=forums[2].region))
    response = client.post(reverse("forums:reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    if body.strip():
        assert body in html
    if body.count("\n") > 2000:
        assert "Maximaal 2000 regels." in html
    assert thread.posts.count() == 1


def test_nul_bytes_and_invalid_utf8_never_500(client, forums):
    thread = make_thread(forum=forums[2])
    client.force_login(make_member(region=forums[2].region))
    response = client.post(reverse("forums:reply", args=[thread.pk]),
                           {"body": "Hallo\x00wereld"})
    assert response.status_code in (302, 400)
    raw = b"body=%FF%FE%FDgeen+utf8&idempotency_key=x9"
    response = client.post(reverse("forums:reply", args=[thread.pk]), raw,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400)


def test_posting_in_a_locked_thread_is_a_403_page_saying_why(client, forums):
    thread = make_thread(forum=forums[2])
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    client.force_login(make_member(region=forums[2].region))
    response = client.post(reverse("forums:reply", args=[thread.pk]), {"body": "Nog eentje"})
    assert response.status_code == 403
    assert "gesloten" in response.content.decode()


def test_editing_someone_elses_post_is_403(client, forums):
    thread = make_thread(forum=forums[2])
    client.force_login(make_member(region=forums[2].region))
    response = client.post(reverse("forums:edit_post", args=[thread.last_post_id]),
                           {"body": "overgenomen"})
    assert response.status_code == 403
    assert Post.objects.get(pk=thread.last_post_id).body == "Eerste bericht."


def test_field_tampering_is_ignored(client, forums):
    forum = forums[2]
    member = make_member(region=forum.region)
    other = make_user()
    client.force_login(member)
    client.post(reverse("forums:new_thread", args=[forum.pk]), {
        "title": "Eerlijk", "kind": "discussion", "body": "tekst", "author": other.pk,
        "forum": forums[0].pk, "is_pinned": "on", "is_locked": "on",
    })
    thread = Thread.objects.get(title="Eerlijk")
    assert (thread.author, thread.forum, thread.is_pinned, thread.is_locked) == \
        (member, forum, False, False)


def test_member_cannot_choose_report_kind(client, forums):
    client.force_login(make_member(region=forums[1].region))
    response = client.post(reverse("forums:new_thread", args=[forums[1].pk]), {
        "title": "Stiekem verslag", "kind": "report", "body": "tekst"})
    assert response.status_code == 200
    assert not Thread.objects.filter(kind="report").exists()


def test_reporter_publishes_a_report_with_sections(client, forums):
    reporter = make_member(region=forums[1].region, role=Role.REPORTER)
    client.force_login(reporter)
    response = client.post(reverse("forums:new_thread", args=[forums[1].pk]), {
        "title": "Werksessie veenweide", "kind": "report", "body": "Wat we deden.",
        "success_factors": "Samen aan tafel", "obstacles": "Tijd", "lessons": "Begin klein"})
    assert response.status_code == 302
    html = client.get(response["Location"]).content.decode()
    assert "Succesfactoren" in html and "Samen aan tafel" in html and "Begin klein" in html


def test_reply_with_quote_prefills_the_form(client, forums):
    thread = make_thread(forum=forums[2], body="Het veen daalt.")
    client.force_login(make_member(region=forums[2].region))
    html = client.get(thread.get_absolute_url() + f"?page=1&quote={thread.last_post_id}") \
        .content.decode()
    assert "&gt; Het veen daalt." in html
    assert f"/bericht/{thread.last_post_id}/" in html


def test_staff_only_forum_is_404_for_members(client):
    forum = Forum.objects.create(region=None, slug="intern", name="Intern", visibility="staff")
    client.force_login(make_user())
    assert client.get(forum.get_absolute_url()).status_code == 404


def test_announcements_new_thread_is_403_with_reason_for_members(client):
    forum = Forum.objects.get(region=None, slug="aankondigingen")
    client.force_login(make_user())
    response = client.get(reverse("forums:new_thread", args=[forum.pk]))
    assert response.status_code == 403
    assert "programmateam" in response.content.decode()


def test_tag_page_lists_threads_across_visible_regions(client):
    from forums.models import Tag

    veen = Tag.objects.get(slug="veenweide", region=None)
    a, b = make_forums(make_region()), make_forums(make_region())
    visible = make_thread(forum=a[2], title="Zichtbaar veen", tags=[veen])
    hidden = make_thread(forum=b[0], title="Verborgen veen", tags=[veen])
    html = client.get(veen.get_absolute_url()).content.decode()
    assert visible.title in html and hidden.title not in html


def test_a_tag_of_a_region_the_visitor_cannot_read_is_a_404_like_an_unknown_one(client):
    from forums.models import Tag

    region = make_region(is_open=False)
    Forum.objects.create(region=region, slug="intern", name="Intern", visibility="members")
    Tag.objects.create(region=region, slug="geheimtag", name="Geheimtag")
    url = reverse("forums:tag", args=["geheimtag"])
    assert client.get(reverse("forums:tag", args=["bestaat-niet"])).status_code == 404
    response = client.get(url)
    assert response.status_code == 404 and "Geheimtag" not in response.content.decode()
    client.force_login(make_user())
    assert client.get(url).status_code == 404
    client.force_login(make_member(region=region))
    response = client.get(url)
    assert response.status_code == 200 and "Geheimtag" in response.content.decode()


def test_a_tag_page_prefers_the_programme_wide_tag_of_a_shared_slug(client):
    from forums.models import Tag

    region = make_region()
    make_forums(region)
    Tag.objects.create(region=region, slug="veenweide", name="Regionaal veen")
    html = client.get(reverse("forums:tag", args=["veenweide"])).content.decode()
    assert "Regionaal veen" not in html
    assert Tag.objects.get(slug="veenweide", region=None).name in html


def test_anonymous_readers_share_one_render_until_the_thread_changes(client, forums):
    thread = make_thread(forum=forums[2], body="Eerste versie")
    url = thread.get_absolute_url()
    first = count_queries(client, url)
    with CaptureQueriesContext(connection) as ctx:
        assert "Eerste versie" in client.get(url).content.decode()
    assert len(ctx) == 1 < first  # which version is visible; the page itself from the cache
    from forums import services

    services.edit_post(actor=thread.author, post=thread.posts.get(), body="Tweede versie")
    html = client.get(url).content.decode()
    assert "Tweede versie" in html and "Eerste versie" not in html


def test_replying_where_you_may_not_see_is_404_and_where_you_may_not_post_403(client, forums):
    client.force_login(make_user())  # in no region
    members_only = make_thread(forum=forums[0])
    public = make_thread(forum=forums[2])
    url = reverse("forums:reply", args=[members_only.pk])
    assert client.post(url, {"body": "Mag ik?"}).status_code == 404
    assert client.post(reverse("forums:reply", args=[999999]), {"body": "Hallo"}).status_code \
        == 404
    response = client.post(reverse("forums:reply", args=[public.pk]), {"body": "Hallo"})
    assert response.status_code == 403
    assert Post.objects.filter(thread__in=[members_only, public]).count() == 2


def test_reply_queries_do_not_grow_with_thread_length(client, forums):
    thread = make_thread(forum=forums[2])
    replier = make_member(region=forums[2].region)
    client.force_login(replier)
    url = reverse("forums:reply", args=[thread.pk])

    def reply_queries(n: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.post(url, {"body": f"Antwoord {n}", "idempotency_key": f"k{n}"})
        assert response.status_code == 302
        return len(ctx)

    reply_queries(0)  # the first reply also starts the read mark and the watch
    small = reply_queries(1)
    for _ in range(40):
        make_post(thread=thread)
    assert reply_queries(2) == small <= 16


def test_thread_page_shows_tags_and_accepted_answer_and_follows_their_changes(client, forums):
    from forums import services
    from forums.models import Tag

    forum = forums[2]
    asker = make_member(region=forum.region)
    veen = Tag.objects.get(slug="veenweide", region=None)
    thread = make_thread(forum=forum, author=asker, kind=Thread.Kind.QUESTION, tags=[veen])
    answer = make_post(thread=thread, body="Peilbuizen **elk kwartaal**.")
    client.force_login(make_member(region=forum.region))
    url = thread.get_absolute_url() + "?page=1"
    html = client.get(url).content.decode()
    assert f'href="{veen.get_absolute_url()}">#{veen.name}</a>' in html
    assert "accepted-answer" not in html
    services.accept_answer(actor=asker, thread=thread, post=answer)
    html = client.get(url).content.decode()
    assert 'class="panel accepted-answer"' in html
    assert html.count("<strong>elk kwartaal</strong>") == 2  # the panel and the post
    services.edit_post(actor=answer.author, post=answer, body="Peilbuizen maandelijks.")
    html = client.get(url).content.decode()
    assert "elk kwartaal" not in html and html.count("maandelijks") == 2
    services.delete_post(actor=answer.author, post=answer)
    assert "accepted-answer" not in client.get(url).content.decode()


def test_every_reply_form_gets_its_own_key_and_the_same_fields_as_the_partial(client, forums):
    import re

    from django.template.loader import render_to_string
    from django.utils import translation

    from forums.forms import ReplyForm

    thread = make_thread(forum=forums[2])
    client.force_login(make_member(region=forums[2].region))
    key = re.compile(r'name="idempotency_key" value="([0-9a-f]{32})"')
    for language in ("nl", "en"):
        client.cookies["django_language"] = language
        pages = [client.get(thread.get_absolute_url()).content.decode() for _ in range(2)]
        keys = [key.search(page).group(1) for page in pages]
        assert keys[0] != keys[1]
        with translation.override(language):
            expected = render_to_string("_partials/form_fields.html", {
                "form": ReplyForm(initial={"idempotency_key": keys[1]})})
        assert expected in pages[1]
    # A quote fills the form in: that one is rendered through the partial, text included.
    first = thread.posts.get()
    html = client.get(f"{thread.get_absolute_url()}?quote={first.pk}").content.decode()
    assert f'name="quote_of" value="{first.pk}"' in html and "schreef:" in html


FORUM_ACTIONS = ("save_forum", "archive_forum", "restore_forum", "move_forum_up",
                 "move_forum_down")


def _region_with_a_staff_forum():
    region = make_region()
    forums = make_forums(region)
    secret = Forum.objects.create(region=region, slug="kern", name="Kernteam intern",
                                  description="Vertrouwelijk overleg", visibility="staff",
                                  position=1)
    return region, forums, secret


def test_a_region_moderator_does_not_see_or_touch_staff_only_forums_on_the_forum_page(client):
    region, forums, secret = _region_with_a_staff_forum()
    client.force_login(make_member(region=region, role=Role.MODERATOR))
    url = reverse("forums:manage", args=[region.slug])
    html = client.get(url).content.decode()
    assert "Kernteam intern" not in html and "Vertrouwelijk overleg" not in html
    assert forums[0].name in html
    assert 'value="staff"' not in html  # nor can a new or renamed forum be made staff-only
    for action in FORUM_ACTIONS:
        response = client.post(reverse(f"forums:{action}", args=[region.slug, secret.pk]), {
            f"forum-{secret.pk}-name": "Overgenomen",
            f"forum-{secret.pk}-visibility": "public"}, follow=True)
        assert "Kernteam intern" not in response.content.decode()
    secret.refresh_from_db()
    assert (secret.name, secret.visibility, secret.is_archived, secret.position) == \
        ("Kernteam intern", "staff", False, 1)
    client.post(reverse("forums:create_forum", args=[region.slug]),
                {"new-name": "Stiekem", "new-visibility": "staff"})
    client.post(reverse("forums:save_forum", args=[region.slug, forums[0].pk]), {
        f"forum-{forums[0].pk}-name": "Algemeen", f"forum-{forums[0].pk}-visibility": "staff"})
    assert not Forum.objects.filter(region=region, visibility="staff").exclude(pk=secret.pk) \
        .exists()


def test_staff_see_and_manage_staff_only_forums_on_the_forum_page(client):
    region, _forums, secret = _region_with_a_staff_forum()
    client.force_login(make_user(staff=True, mfa=True))
    url = reverse("forums:manage", args=[region.slug])
    html = client.get(url).content.decode()
    assert "Kernteam intern" in html and 'value="staff"' in html
    client.post(reverse("forums:archive_forum", args=[region.slug, secret.pk]))
    secret.refresh_from_db()
    assert secret.is_archived


def test_a_moderator_moving_a_forum_passes_over_the_staff_only_one_they_do_not_see():
    from forums import services

    region, forums, secret = _region_with_a_staff_forum()
    moderator = make_member(region=region, role=Role.MODERATOR)
    ordered = list(Forum.objects.filter(region=region).order_by("position", "name"))
    assert ordered.index(secret) == 1  # between the first and the second regional forum
    first, second = ordered[0], ordered[2]
    services.move_forum(actor=moderator, forum=second, direction=-1)
    shown = [f.pk for f in Forum.objects.filter(region=region).exclude(visibility="staff")
             .order_by("position", "name")]
    assert shown[:2] == [second.pk, first.pk]
    with pytest.raises(PermissionDenied):
        services.move_forum(actor=moderator, forum=secret, direction=1)
    with pytest.raises(PermissionDenied):
        services.update_forum(actor=moderator, forum=secret, name="Weg")
    with pytest.raises(PermissionDenied):
        services.create_forum(actor=moderator, region=region, name="X", visibility="staff")


def _sent_to_mfa_set_up(response, back_to: str) -> bool:
    return response.status_code == 302 and response["Location"] == \
        f"{reverse('mfa_activate_totp')}?{urlencode({'next': back_to})}"


def test_a_reporter_without_mfa_is_sent_to_set_it_up_from_a_new_report(client, forums):
    reporter = make_member(region=forums[1].region, user=make_user(mfa=False),
                           role=Role.REPORTER)
    client.force_login(reporter)
    url = reverse("forums:new_thread", args=[forums[1].pk])
    assert _sent_to_mfa_set_up(client.get(f"{url}?x=1"), f"{url}?x=1")
    assert "Voor verslagen heb je tweestapsverificatie nodig" in client.get("/").content.decode()
    # In another forum the reporter's missing second factor is no reason to stop them.
    assert client.get(reverse("forums:new_thread", args=[forums[2].pk])).status_code == 200


def test_the_forum_management_page_sends_a_moderator_without_mfa_to_set_it_up(client, region):
    url = reverse("forums:manage", args=[region.slug])
    client.force_login(make_member(region=region))
    assert client.get(url).status_code == 403
    client.force_login(make_member(region=region, user=make_user(mfa=False),
                                   role=Role.MODERATOR))
    assert _sent_to_mfa_set_up(client.get(url), url)
    archive = reverse("forums:archive_forum", args=[region.slug, make_forums(region)[0].pk])
    assert _sent_to_mfa_set_up(client.post(archive), archive)
    assert not Forum.objects.filter(region=region, is_archived=True).exists()


def test_each_forum_management_action_has_its_own_address(client, region):
    algemeen, verslagen, _vragen = make_forums(region)
    client.force_login(make_member(region=region, role=Role.MODERATOR))
    page = reverse("forums:manage", args=[region.slug])

    def post(name, *args, data=None):
        response = client.post(reverse(f"forums:{name}", args=[region.slug, *args]), data or {})
        assert (response.status_code, response["Location"]) == (302, page)

    html = client.get(page).content.decode()
    for name in FORUM_ACTIONS:
        if name != "restore_forum":  # shown instead of archive, for an archived forum
            assert f'"{reverse(f"forums:{name}", args=[region.slug, algemeen.pk])}"' in html
    post("move_forum_down", algemeen.pk)
    post("move_forum_up", verslagen.pk)  # back where it was, and now first
    assert list(Forum.objects.filter(region=region).order_by("position")
                .values_list("slug", flat=True))[:2] == ["verslagen", "algemeen"]
    post("save_forum", algemeen.pk, data={f"forum-{algemeen.pk}-name": "Algemeen overleg",
                                          f"forum-{algemeen.pk}-visibility": "members"})
    post("archive_forum", algemeen.pk)
    algemeen.refresh_from_db()
    assert (algemeen.name, algemeen.is_archived) == ("Algemeen overleg", True)
    post("restore_forum", algemeen.pk)
    algemeen.refresh_from_db()
    assert not algemeen.is_archived
    client.post(reverse("forums:create_forum", args=[region.slug]),
                {"new-name": "Droogte", "new-visibility": "public"})
    client.post(reverse("forums:create_tag", args=[region.slug]), {"tag-name": "Dijken"})
    assert Forum.objects.filter(region=region, name="Droogte").exists()
    assert region.tags.filter(name="Dijken").exists()
    # The page answers GET only: a change goes to its own address.
    assert client.post(page, {"action": "archive", "forum": algemeen.pk}).status_code == 405


def test_a_refused_tag_comes_back_on_its_form_with_what_was_typed(client, region):
    from forums.models import Tag

    client.force_login(make_member(region=region, role=Role.MODERATOR))
    url = reverse("forums:create_tag", args=[region.slug])
    client.post(url, {"tag-name": "Dijken"})
    response = client.post(url, {"tag-name": "dijken"})  # the same slug
    assert response.status_code == 200
    form = response.context["tag_form"]
    assert form.errors and form["name"].value() == "dijken"
    assert 'value="dijken"' in response.content.decode()
    assert Tag.objects.filter(region=region).count() == 1


def test_a_forum_that_is_not_on_the_page_cannot_be_changed_through_its_address(client, region):
    forums = make_forums(region)
    elsewhere = make_forums(make_region())[0]
    client.force_login(make_member(region=region, role=Role.MODERATOR))
    response = client.post(reverse("forums:archive_forum", args=[region.slug, elsewhere.pk]),
                           follow=True)
    assert "Dat forum bestaat niet" in response.content.decode()
    elsewhere.refresh_from_db()
    assert not elsewhere.is_archived and not forums[0].is_archived
