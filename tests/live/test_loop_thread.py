"""live.loop_thread and broadcast.send_now in a WSGI worker: announcements leave from the
process's loop thread, in the order they were made, without the request waiting for them."""

import asyncio
import threading
import time

import pytest

from live import broadcast, loop_thread


class SlowLayer:
    """Records group sends; the first one takes longest, so a send that does not wait for the
    one before it would overtake it."""

    def __init__(self):
        self.sent = []
        self.loops = set()
        self.threads = set()
        self.done = threading.Event()
        self.delays = [0.05, 0.0, 0.01, 0.0]

    async def group_send(self, group, event):
        self.loops.add(asyncio.get_running_loop())
        self.threads.add(threading.current_thread().name)
        await asyncio.sleep(self.delays[len(self.sent) % len(self.delays)])
        self.sent.append((group, event["n"]))
        if len(self.sent) == 8:
            self.done.set()


@pytest.fixture
def from_loop_thread(monkeypatch):
    layer = SlowLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer)
    monkeypatch.setattr(broadcast, "_hand_to_loop_thread", True)
    return layer


def test_sends_leave_from_the_loop_thread_in_order(from_loop_thread):
    for n in range(8):
        broadcast.send_now(broadcast.thread_group(1), {"type": "post.created", "n": n})
    assert from_loop_thread.done.wait(5)
    assert from_loop_thread.sent == [("thread.1", n) for n in range(8)]
    assert from_loop_thread.threads == {"live-loop"}
    assert from_loop_thread.loops == {loop_thread.loop()}


def test_the_caller_does_not_wait_for_the_send(from_loop_thread):
    from_loop_thread.delays = [1.0]
    broadcast.send_now("thread.1", {"type": "post.created", "n": 0})
    assert from_loop_thread.sent == []  # the response would go out now


def test_a_failed_send_is_one_warning(monkeypatch):
    class BrokenLayer:
        async def group_send(self, group, event):
            raise ConnectionError("Redis away")

    monkeypatch.setattr(broadcast, "get_channel_layer", BrokenLayer)
    monkeypatch.setattr(broadcast, "_hand_to_loop_thread", True)
    warnings = []
    monkeypatch.setattr(broadcast.logger, "warning", lambda *args, **kwargs: warnings.append(
        args[0] % args[1:]))
    broadcast.send_now("thread.1", {"type": "post.created"})
    for _ in range(100):  # after whatever the loop was still sending for an earlier test
        if warnings:
            break
        time.sleep(0.05)
    assert warnings == ["live: could not send post.created to thread.1"]


def test_a_forked_child_starts_a_loop_of_its_own(monkeypatch):
    parent = loop_thread.loop()
    assert loop_thread.loop() is parent
    monkeypatch.setattr(loop_thread.os, "getpid", lambda: -1)
    child = loop_thread.loop()
    assert child is not parent and child.is_running()
    loop_thread._drain(child)


def test_at_exit_the_loop_finishes_what_it_was_handed():
    monkey_loop = loop_thread._start()
    finished = threading.Event()

    async def slow_send():
        await asyncio.sleep(0.1)
        finished.set()

    monkey_loop.call_soon_threadsafe(monkey_loop.create_task, slow_send())
    loop_thread._drain(monkey_loop, owner=-1)  # a forked child's copy of the exit handler
    assert not finished.is_set() and monkey_loop.is_running()
    loop_thread._drain(monkey_loop)
    assert finished.is_set()


def test_outside_a_wsgi_worker_the_send_is_made_before_returning(monkeypatch):
    layer = SlowLayer()
    monkeypatch.setattr(broadcast, "get_channel_layer", lambda: layer)
    broadcast.send_now("thread.2", {"type": "post.created", "n": 0})
    assert layer.sent == [("thread.2", 0)]
