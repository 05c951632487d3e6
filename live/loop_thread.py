"""One event loop per process on a thread of its own, for sync code that must not wait for the
channel layer: a gunicorn worker's request threads hand their announcements to it
(`loop.call_soon_threadsafe`, as `asyncio.run_coroutine_threadsafe` does) and answer at once.

The loop starts on first use and again in a forked child (threads do not survive a fork, and
gunicorn forks its workers). At exit it gets a moment to finish what it was handed.
"""

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import Callable

DRAIN_SECONDS = 2.0

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_pid: int | None = None


def loop() -> asyncio.AbstractEventLoop:
    """This process's loop, running on its thread."""
    global _loop, _pid
    if _pid != os.getpid() or _loop is None or _loop.is_closed():
        with _lock:
            if _pid != os.getpid() or _loop is None or _loop.is_closed():
                _loop, _pid = _start(), os.getpid()
    return _loop


def call_soon(callback: Callable, *args) -> None:
    """Run callback(*args) on the loop; it may create tasks there."""
    loop().call_soon_threadsafe(callback, *args)


def _start() -> asyncio.AbstractEventLoop:
    new_loop = asyncio.new_event_loop()
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(new_loop)
        new_loop.call_soon(started.set)
        new_loop.run_forever()

    threading.Thread(target=run, name="live-loop", daemon=True).start()
    started.wait()
    atexit.register(_drain, new_loop, os.getpid())
    return new_loop


def _drain(stopping: asyncio.AbstractEventLoop, owner: int | None = None) -> None:
    """At exit: wait (briefly) for the tasks still running on the loop, then stop it. A forked
    child inherits this exit handler but not the loop's thread: it leaves the loop alone."""
    if owner not in (None, os.getpid()) or stopping.is_closed() or not stopping.is_running():
        return

    async def pending() -> None:
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        if tasks:
            await asyncio.wait(tasks, timeout=DRAIN_SECONDS)

    # Exiting anyway: whatever did not go out, the database still holds.
    with contextlib.suppress(Exception):
        asyncio.run_coroutine_threadsafe(pending(), stopping).result(DRAIN_SECONDS + 1)
    stopping.call_soon_threadsafe(stopping.stop)
