"""core.precompiled: the stored SQL gives what the ORM gives, on either database."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts import backends
from core.precompiled import Precompiled
from forums import selectors
from forums.models import Thread
from regions import permissions as region_permissions
from regions.models import Role
from tests.factories import make_forums, make_member, make_region, make_thread, make_user

pytestmark = pytest.mark.django_db


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
    region = make_region()
    user = make_member(region=region, role=Role.MEMBER)
    assert region_permissions._roles_of(user=user.pk) == [(region.pk, Role.MEMBER)]
    assert region_permissions._roles_of(user=user.pk + 1000) == []


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
