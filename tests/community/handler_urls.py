"""The site's URLs plus views that show what community/http.py's handler does around them."""

import asyncio
import contextvars
import threading
import time

from asgiref.sync import async_to_sync
from django.db import connection, connections
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from community.urls import handler500  # noqa: F401
from community.urls import urlpatterns as site_urlpatterns

mark = contextvars.ContextVar("mark", default="unset")


def set_mark(request):
    mark.set("set by an earlier request")
    return HttpResponse("ok")


def read_mark(request):
    return HttpResponse(mark.get())


async def _running_loop_id() -> int:
    return id(asyncio.get_running_loop())


def loop_of_async_to_sync(request):
    return JsonResponse({"loop": async_to_sync(_running_loop_id)(),
                         "thread": threading.get_ident()})


@csrf_exempt
def echo(request):
    return HttpResponse(request.body, content_type="text/plain")


def query(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"thread": threading.get_ident()})


def stream(request):
    """A synchronous stream: its first chunk tells on which thread it was read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")

    def content():
        yield f"read on {threading.current_thread().name.split('_')[0]}; ".encode()
        yield from (b"one ", b"two ", b"three")

    return StreamingHttpResponse(content())


def async_stream(request):
    """An asynchronous stream, sent as it comes: its first chunk tells whether the request's
    connection was already given back when sending began."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    held = connections["default"]  # this thread's own connection wrapper, not the proxy

    async def content():
        yield b"given back; " if held.connection is None else b"still held; "
        for part in (b"one ", b"two ", b"three"):
            yield part

    return StreamingHttpResponse(content())


rendezvous = threading.Barrier(4)
closed = threading.Event()


def meet(request):
    """Answers only when four requests are in their views at once."""
    try:
        rendezvous.wait(timeout=5)
    except threading.BrokenBarrierError:
        return HttpResponse("alone", status=503)
    return HttpResponse("met")


def slow_async_stream(request):
    time.sleep(0.3)

    async def content():
        yield b"late"

    response = StreamingHttpResponse(content())
    response._resource_closers.append(closed.set)
    return response


def broken(request):
    raise RuntimeError("boom-secret-detail")


urlpatterns = [
    path("test/set-mark/", set_mark), path("test/read-mark/", read_mark),
    path("test/loop/", loop_of_async_to_sync), path("test/echo/", echo),
    path("test/query/", query), path("test/stream/", stream),
    path("test/async-stream/", async_stream), path("test/slow-async-stream/", slow_async_stream),
    path("test/meet/", meet), path("test/broken/", broken),
    *site_urlpatterns,
]
