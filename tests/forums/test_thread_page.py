"""The thread page's assembly (forums.thread_page): where a returning reader continues, the
reply form with its quote, and the stored page for anonymous readers."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.test import RequestFactory

from forums import thread_page
from forums.models import POSTS_PER_PAGE, Thread
from tests.factories import make_member, make_post, make_thread, make_user

pytestmark = pytest.mark.django_db


def _anonymous_get(thread, **query):
    request = RequestFactory().get(thread.get_absolute_url(), query)
    request.user = AnonymousUser()
    return request


def test_a_returning_reader_continues_at_the_first_unread_post(forums):
    thread = make_thread(forum=forums[2])
    posts = [make_post(thread=thread) for _ in range(POSTS_PER_PAGE + 1)]
    thread.refresh_from_db()
    reader = make_member(region=forums[2].region)
    first_unread = posts[POSTS_PER_PAGE - 1]  # position POSTS_PER_PAGE + 1, on page 2
    assert thread_page.first_unread_location(
        viewer=reader, thread=thread, read_position=POSTS_PER_PAGE) == \
        f"{thread.get_absolute_url()}?page=2#post-{first_unread.pk}"
    for read_position in (0, thread.last_position):  # nothing read yet; everything read
        assert thread_page.first_unread_location(
            viewer=reader, thread=thread, read_position=read_position) is None
    assert thread_page.first_unread_location(
        viewer=AnonymousUser(), thread=thread, read_position=1) is None


def test_the_reply_form_quotes_only_what_every_reader_sees(forums):
    thread = make_thread(forum=forums[2])
    shown, hidden = make_post(thread=thread, body="Zichtbaar"), make_post(thread=thread)
    hidden.is_hidden = True
    hidden.save(update_fields=["is_hidden"])
    member = make_member(region=forums[2].region)
    assert thread_page.reply_form(viewer=make_user(), thread=thread, quote_id="") is None
    assert thread_page.reply_form(viewer=member, thread=thread, quote_id="") \
        .initial.get("quote_of") is None
    quoting = thread_page.reply_form(viewer=member, thread=thread, quote_id=str(shown.pk))
    assert quoting.initial["quote_of"] == shown.pk and "Zichtbaar" in quoting.initial["body"]
    for quote_id in (str(hidden.pk), "abc"):
        assert "quote_of" not in thread_page.reply_form(
            viewer=member, thread=thread, quote_id=quote_id).initial


def test_an_anonymous_page_is_stored_once_rendered_and_only_when_it_can_be_shared(forums):
    thread = make_thread(forum=forums[2])
    assert thread_page.cached_anonymous_page(_anonymous_get(thread), thread.pk, 1) is None
    thread = Thread.objects.select_related("forum__region").get(pk=thread.pk)
    rendered = thread_page.render_anonymous_page(_anonymous_get(thread), thread, 1)
    assert thread_page.cached_anonymous_page(_anonymous_get(thread), thread.pk, 1) == \
        rendered.content.decode()
    assert thread_page.cached_anonymous_page(_anonymous_get(thread), thread.pk, 9) == \
        rendered.content.decode()  # past the last page: the last
    assert thread_page.cached_anonymous_page(
        _anonymous_get(thread, quote="1"), thread.pk, 1) is None
    make_post(thread=thread)  # a change of the thread: a new version of the page
    assert thread_page.cached_anonymous_page(_anonymous_get(thread), thread.pk, 1) is None


def test_an_anonymous_page_of_a_thread_out_of_sight_is_not_found(forums):
    thread = make_thread(forum=forums[0])  # the members forum
    with pytest.raises(Http404):
        thread_page.cached_anonymous_page(_anonymous_get(thread), thread.pk, 1)
