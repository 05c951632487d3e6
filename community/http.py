"""HTTP for daphne: Django's request handling in one hop to a fixed pool of threads.

Django's own ASGI handler serves a project whose middleware and views are all synchronous by
handing every request back and forth between the event loop and a thread made for that
request: the middleware runs in the thread, the view is called back through the loop, the
response is closed in a third hop, and the request_started/finished signals hop as well.
Measured here, that plumbing costs about 1.7 ms of CPU per request, three times what Django
spends on a trivial view (bench/README.md). This handler reads the body on the loop, runs
exactly what a WSGI server runs (signals, middleware, view, reading the content,
response.close()) in one call on a pool thread, and sends the result from the loop.

What stays as under Django's handler: each request runs in a fresh copy of the loop's
context (nothing set with contextvars, such as the active language, leaks into the next
request on the same thread); sync code may call async_to_sync (it runs on the serving loop,
as live/broadcast.py relies on); database connections are taken and given back in the
thread that used them. A synchronous stream (a static file through WhiteNoise) is read into
memory before it is sent, as Django's handler does too, but on the request's own thread
rather than on asgiref's one thread per process that the WebSocket consumers' database calls
use. Only an asynchronous stream is sent as it comes, and closed after it.

When every thread is busy, a request waits in line (first come, first served) rather than
getting a thread of its own: HTTP_THREADS (settings) stays below the database pool's size, so a
request that has a thread always gets a connection.
"""

import asyncio
import contextvars
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from asgiref.sync import SyncToAsync
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import FileResponse
from django.urls import set_script_prefix

logger = logging.getLogger(__name__)


async def _replay(parts: list[bytes]):
    for part in parts:
        yield part


class PooledHTTPHandler(ASGIHandler):
    def __init__(self, threads: int | None = None):
        BaseHandler.__init__(self)  # not ASGIHandler's: it builds the async middleware chain
        self.load_middleware(is_async=False)
        self.threads = threads or settings.HTTP_THREADS
        self._executor: ThreadPoolExecutor | None = None
        self._executor_pid: int | None = None
        self._executor_lock = threading.Lock()

    def _pool(self) -> ThreadPoolExecutor:
        # A forked child (the browser tests' server) must not reuse the parent's pool: its
        # threads did not survive the fork, and the pool would wait for them forever.
        if self._executor_pid != os.getpid():
            with self._executor_lock:
                if self._executor_pid != os.getpid():
                    self._executor = ThreadPoolExecutor(max_workers=self.threads,
                                                        thread_name_prefix="http")
                    self._executor_pid = os.getpid()
        return self._executor

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"PooledHTTPHandler serves HTTP only, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        work = loop.run_in_executor(self._pool(), context.run, self._respond,
                                    loop, scope, body_file)
        try:
            # Shielded: the client may go away (daphne then cancels this task) while the
            # thread still works on the request; whatever it returns is closed all the same.
            response, still_open = await asyncio.shield(work)
        except asyncio.CancelledError:
            work.add_done_callback(partial(self._close_abandoned, context, body_file))
            raise
        try:
            await self.send_response(response, send)
        finally:
            if still_open:
                # Shielded: a second cancel while the close waits for a thread must not drop it.
                await asyncio.shield(loop.run_in_executor(self._pool(), context.run,
                                                          self._close, response, body_file))

    def _respond(self, loop, scope, body_file):
        """Runs on a pool thread: everything a WSGI server would do for this request. Returns
        the response and whether it is still open: an asynchronous stream the view returned,
        sent as it comes from the loop and closed after sending."""
        # As asgiref's own thread handler does: async_to_sync in this thread runs on `loop`.
        SyncToAsync.threadlocal.main_event_loop = loop
        SyncToAsync.threadlocal.main_event_loop_pid = os.getpid()
        set_script_prefix(get_script_prefix(scope))
        response, still_open = None, False
        try:
            signals.request_started.send(sender=self.__class__, scope=scope)
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = self.get_response(request)
                response._handler_class = self.__class__
                if isinstance(response, FileResponse):
                    response.block_size = self.chunk_size
            still_open = response.streaming and response.is_async
            if response.streaming and not still_open:
                response.streaming_content = _replay(list(response.streaming_content))
            return response, still_open
        finally:
            if still_open:
                # The loop sends it as it comes and closes it after; the database
                # connections this request took go back to the pool now, from this thread.
                close_old_connections()
            else:
                self._close(response, body_file)

    def _close(self, response, body_file) -> None:
        """request_finished (connections back to the pool, and so on) and the files closed. The
        response may be on its way already: a failure here is logged, not answered."""
        try:
            if response is not None:
                response.close()
            else:  # the request failed before it had a response: still end it
                signals.request_finished.send(sender=self.__class__)
        except Exception:
            logger.exception("http: closing the response of a request failed")
        finally:
            body_file.close()

    def _close_abandoned(self, context, body_file, work) -> None:
        """The client left while its request ran: close what the thread produced once it has
        (only a stream sent from the loop is still open by then)."""
        if work.cancelled() or work.exception() is not None:
            return
        response, still_open = work.result()
        if still_open:
            self._pool().submit(context.run, self._close, response, body_file)

