"""Presence (live/presence.py): entries with a deadline, changed atomically, so two processes
writing at once lose nobody; the same rules in Redis and in memory."""

import threading

import pytest

from live import presence
from tests.live.conftest import FakeClock, redis_client


def two_writers_at_once(first, second, rounds: int = 150) -> None:
    """Two writers (processes: each with its own store object and connection) join, renew and
    leave entries of one thread at the same moments."""
    start = threading.Barrier(2)

    def write(store, name):
        start.wait()
        for n in range(rounds):
            store.join(1, f"{name}-{n}", n, f"{name} {n}")
            store.join(1, f"{name}-0", 0, f"{name} 0")  # renewing its first entry
            if n % 10 == 9:
                store.leave(1, f"{name}-{n}")

    threads = [threading.Thread(target=write, args=(store, name))
               for store, name in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def expected(rounds: int = 150) -> set[tuple[int, str]]:
    return {(n, f"{name} {n}") for name in "ab" for n in range(rounds) if n % 10 != 9}


def test_memory_store_loses_no_entry_to_concurrent_writers():
    store = presence.MemoryPresence()
    two_writers_at_once(store, store)
    assert set(store.readers(1)) == expected()


@pytest.mark.redis
def test_redis_store_loses_no_entry_to_two_processes_writing_at_once(redis_prefix):
    def make_store():
        return presence.RedisPresence(redis_client(), lambda key: f"{redis_prefix}:{key}")

    first, second = make_store(), make_store()
    two_writers_at_once(first, second)
    assert set(first.readers(1)) == set(second.readers(1)) == expected()


def test_memory_entries_expire_unless_renewed_and_leave_at_once():
    clock = FakeClock()
    store = presence.MemoryPresence(ttl=70, clock=clock)
    store.join(1, "anna-tab", 5, "Anna")
    store.join(1, "visitor", None, "")
    store.join(2, "other-thread", 6, "Bram")
    clock.now += 60
    assert sorted(store.join(1, "anna-tab", 5, "Anna"), key=str) == [(5, "Anna"), (None, "")]
    clock.now += 20  # the visitor's socket vanished without a close 80 s ago
    assert store.readers(1) == [(5, "Anna")]
    assert store.leave(1, "anna-tab") == []
    assert store.readers(2) == []  # expired too
    assert store.entries == {}


@pytest.mark.redis
def test_redis_entries_expire_unless_renewed_and_their_keys_go_with_them(redis_prefix):
    import time

    store = presence.RedisPresence(redis_client(), lambda key: f"{redis_prefix}:{key}",
                                   ttl=0.4)
    store.join(1, "anna-tab", 5, "Anna")
    store.join(1, "visitor", None, "")
    time.sleep(0.25)
    assert sorted(store.join(1, "anna-tab", 5, "Anna"), key=str) == [(5, "Anna"), (None, "")]
    time.sleep(0.25)
    assert store.readers(1) == [(5, "Anna")]
    assert store.leave(1, "anna-tab") == []
    store.join(1, "last", 7, "Carla")
    time.sleep(0.5)
    assert list(redis_client().scan_iter(f"{redis_prefix}:*")) == []
