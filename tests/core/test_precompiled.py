"""core.precompiled: the stored SQL gives what the ORM gives, on either database; with
PRECOMPILED_QUERIES off the plain ORM answers (CI runs the whole suite once that way)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts import backends
from core.precompiled import Precompiled
from forums import selectors
from forums.models import Thread
from regions import permissions as region_permissions
from regions.models import Membership, Role
from tests.factories import make_forums, make_member, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _precompiled_on(settings):
    """These tests are about the stored SQL, whatever the suite runs with."""
    settings.PRECOMPILED_QUERIES = True


def _fields(obj) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k != "_state"}


def test_thread_with_reader_state_matches_the_orm():
    thread = make_thread()
    reader = make_member(region=thread.forum.region)
    stored = selectors.get_thread(viewer=reader, thread_id=thread.pk, with_reader_state=True)
    orm = selectors._thread_with_reader_state(thread.pk, reader.pk).get()
    assert _fields(stored) == _fields(orm)
    assert stored.forum.region == thread.forum.region  # select_related came along
    assert stored.forum.name == thread.forum.name
    assert stored.reader_position is None and stored.reader_watch_level is None


def test_the_same_shape_answers_for_other_values(django_assert_num_queries):
    first, second = make_thread(title="Eerste"), make_thread(title="Tweede")
    reader = make_user()
    with django_assert_num_queries(2):
        titles = [selectors._thread(thread=t.pk)[0].title for t in (first, second)]
    assert titles == ["Eerste", "Tweede"]
    assert selectors._thread_and_reader_state(thread=second.pk, reader=reader.pk)[0].pk \
        == second.pk


def test_values_list_and_missing_rows():
    roles_of = Precompiled(Membership, lambda user: Membership.objects.filter(user=user)
                           .values_list("region_id", "role"))
    region = make_region()
    user = make_member(region=region, role=Role.MEMBER)
    assert roles_of(user=user.pk) == [(region.pk, Role.MEMBER)]
    assert roles_of(user=user.pk + 1000) == []
    assert region_permissions.member_roles(user) == {region.pk: Role.MEMBER}


def test_keys_beyond_any_integer_column_match_nothing_without_asking(
        django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors._thread(thread=2**70) == []
        assert selectors._thread(thread=-(2**64)) == []


def test_a_value_that_does_not_reach_the_sql_is_refused():
    ignoring = Precompiled(Thread, lambda thread: Thread.objects.all()[:1])
    with pytest.raises(ValueError, match="thread"):
        ignoring(thread=1)


def test_session_user_loads_with_profile_and_odd_ids_are_nobody(django_assert_num_queries):
    user = make_user(display_name="Ans de Vries")
    backend = backends.ModelBackend()
    with django_assert_num_queries(1):
        loaded = backend.get_user(str(user.pk))
        assert loaded.profile.display_name == "Ans de Vries"
    assert backend.get_user("not a number") is None
    assert backend.get_user(user.pk + 1000) is None


@pytest.mark.django_db(transaction=True)
def test_other_threads_use_their_own_connection():
    make_forums(make_region())
    threads = [make_thread(title=f"Onderwerp {n}") for n in range(4)]
    selectors._thread(thread=threads[0].pk)  # compiled on this thread's connection

    def title(thread_id):
        try:
            return selectors._thread(thread=thread_id)[0].title
        finally:
            from django.db import connections
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        titles = list(pool.map(title, [t.pk for t in threads] * 3))
    assert titles == [t.title for t in threads] * 3


@pytest.mark.django_db(transaction=True)
def test_a_locking_lookup_outside_a_transaction_is_refused_like_the_orm_refuses_it():
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    from forums import services

    thread = make_thread()
    with transaction.atomic():
        assert services._locked_thread(thread.pk).pk == thread.pk  # compiled here
    with pytest.raises(TransactionManagementError):
        services._locked_thread(thread.pk)
    with transaction.atomic(), pytest.raises(ValueError, match="for_update"):
        Precompiled(Thread, lambda thread: Thread.objects.filter(pk=thread)[:1],
                    for_update=True)(thread=thread.pk)


def test_switched_off_every_call_is_the_plain_orm(settings, django_assert_num_queries):
    settings.PRECOMPILED_QUERIES = False
    built = []

    def build(thread):
        built.append(thread)
        return Thread.objects.select_related("forum__region").filter(pk=thread)[:1]

    lookup = Precompiled(Thread, build)
    first, second = make_thread(title="Eerste"), make_thread(title="Tweede")
    with django_assert_num_queries(2):
        assert [lookup(thread=t.pk)[0].title for t in (first, second)] == ["Eerste", "Tweede"]
    assert built == [first.pk, second.pk]  # built anew each time, nothing stored
    assert lookup._compiled == {}
    assert _fields(lookup(thread=first.pk)[0]) == _fields(build(first.pk).get())


@pytest.mark.django_db(transaction=True)
def test_switched_off_the_orm_s_own_refusals_hold(settings):
    from django.db import connection, transaction
    from django.db.transaction import TransactionManagementError

    from forums import services

    settings.PRECOMPILED_QUERIES = False

    thread = make_thread()
    if connection.features.has_select_for_update:  # SQLite's ORM ignores the lock instead
        with pytest.raises(TransactionManagementError):
            services._locked_thread(thread.pk)
    with transaction.atomic():
        assert services._locked_thread(thread.pk).pk == thread.pk
    assert selectors._thread(thread=2**70) == []
