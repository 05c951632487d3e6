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


def _generation_moves(django_capture_on_commit_callbacks, change) -> bool:
    before = fragment_cache.generation()
    with django_capture_on_commit_callbacks(execute=True):
        change()
    return fragment_cache.generation() != before


def test_only_what_posts_show_starts_a_new_generation(django_capture_on_commit_callbacks):
    from django.contrib.auth import get_user_model

    cache.clear()
    user = get_user_model().objects.select_related("profile").get(pk=make_user().pk)
    profile = user.profile

    def edit(**fields):
        return lambda: account_services.update_profile(actor=user, profile=profile, **fields)

    def rename_user():
        user.username = "nieuwe_naam"
        user.save()

    def log_in():
        user.last_login = user.date_joined
        user.save(update_fields=["last_login"])

    moves = _generation_moves
    assert not moves(django_capture_on_commit_callbacks, edit(bio="Over mij"))
    assert not moves(django_capture_on_commit_callbacks, edit(job_title="Adviseur"))
    assert not moves(django_capture_on_commit_callbacks, log_in)
    assert moves(django_capture_on_commit_callbacks, edit(display_name="Ander Naampje"))
    assert moves(django_capture_on_commit_callbacks, edit(organisation="Provincie Noord"))
    assert moves(django_capture_on_commit_callbacks, edit(government_layer="rijk"))
    assert moves(django_capture_on_commit_callbacks, rename_user)
    assert not moves(django_capture_on_commit_callbacks, edit(bio="Nog steeds over mij"))


def test_a_renamed_forum_or_tag_starts_a_new_generation(thread, django_capture_on_commit_callbacks):
    from forums import services
    from forums.models import Tag

    cache.clear()
    staff = make_user(staff=True, mfa=True)
    assert _generation_moves(django_capture_on_commit_callbacks, lambda: services.update_forum(
        actor=staff, forum=thread.forum, name="Vragen over water"))
    tag = Tag.objects.create(region=None, slug="veenweide-test", name="veenweide")
    assert _generation_moves(django_capture_on_commit_callbacks,
                             lambda: Tag.objects.filter(pk=tag.pk).first().delete())
