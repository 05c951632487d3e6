"""Thread HTML kept in the cache follows the people in it: a changed name or organisation
shows on the next view, for anonymous readers (the whole page is cached) and members (the
shared fragments), without the thread itself changing."""

import pytest
from django.core.cache import cache

from accounts import services as account_services
from forums import fragment_cache
from tests.factories import make_forums, make_member, make_post, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    region = make_region()
    forums = make_forums(region)
    author = make_user(display_name="Anna Oudenaam", organisation="Waterschap Oost")
    make_member(region=region, user=author)
    thread = make_thread(forum=forums[2], author=author)  # a public forum
    reactor = make_member(region=region, user=make_user(display_name="Bert Reageerder"))
    make_post(thread=thread, author=reactor)
    return thread


@pytest.mark.parametrize("logged_in", [False, True])
def test_a_changed_profile_shows_on_the_cached_thread_page(client, thread, logged_in,
                                                           django_capture_on_commit_callbacks):
    cache.clear()
    if logged_in:
        client.force_login(make_member(region=thread.forum.region, user=make_user()))
    url = thread.get_absolute_url()
    assert "Anna Oudenaam" in client.get(url).content.decode()
    assert "Anna Oudenaam" in client.get(url).content.decode()  # now from the cache

    author = thread.author
    with django_capture_on_commit_callbacks(execute=True):
        account_services.update_profile(actor=author, profile=author.profile,
                                        display_name="Anna Nieuwenaam",
                                        organisation="Provincie West")
    html = client.get(url).content.decode()
    assert "Anna Nieuwenaam" in html and "Provincie West" in html
    assert "Anna Oudenaam" not in html and "Waterschap Oost" not in html


def test_what_was_rendered_in_an_earlier_generation_is_not_served():
    cache.clear()
    found, generation = fragment_cache.get_many({"page": "test-page"})
    assert found == {"page": None}
    fragment_cache.set_many({"test-page": "<p>oud</p>"}, generation)
    assert fragment_cache.get_many({"page": "test-page"})[0] == {"page": "<p>oud</p>"}
    fragment_cache.names_changed()
    assert fragment_cache.get_many({"page": "test-page"})[0] == {"page": None}
    cache.delete(fragment_cache.GENERATION_KEY)  # evicted, or Redis restarted
    assert fragment_cache.get_many({"page": "test-page"})[0] == {"page": None}
