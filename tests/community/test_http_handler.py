"""community/http.py: Django's request handling in one hop to a pool of threads, with what
Django's own ASGI handler guarantees kept (fresh context per request, async_to_sync on the
serving loop, connections given back by the thread that took them, streaming, errors)."""

import asyncio
import json

import pytest
from channels.testing import ApplicationCommunicator
from django.db import connection

from community import http
from community.http import PooledHTTPHandler
from tests.community import handler_urls

pytestmark = pytest.mark.urls("tests.community.handler_urls")

HOST = [(b"host", b"testserver")]


async def fetch(app, path, *, method="GET", body=b"", headers=()):
    """Status and body, once the handler has finished (its work after the response too)."""
    scope = {"type": "http", "http_version": "1.1", "method": method, "path": path,
             "query_string": b"", "headers": [*HOST, *headers]}
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(timeout=10)
    content = b""
    while True:
        message = await communicator.receive_output(timeout=10)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(timeout=10)
    return {"status": start["status"], "body": content}


async def in_pool_thread(handler, function):
    """Run function on the handler's (single) pool thread and return what it returns."""
    return await asyncio.get_running_loop().run_in_executor(handler._pool(), function)


async def test_the_site_is_served_through_the_pooled_handler():
    from community.asgi import application

    response = await fetch(application, "/toegankelijkheid/")
    assert response["status"] == 200
    assert b"<html" in response["body"]


async def test_a_post_body_reaches_the_view():
    response = await fetch(PooledHTTPHandler(threads=1), "/test/echo/", method="POST",
                           body="één, twee".encode(),
                           headers=[(b"content-type", b"text/plain")])
    assert (response["status"], response["body"]) == (200, "één, twee".encode())


async def test_what_one_request_sets_in_its_context_is_gone_for_the_next_on_the_same_thread():
    handler = PooledHTTPHandler(threads=1)
    await fetch(handler, "/test/set-mark/")
    response = await fetch(handler, "/test/read-mark/")
    assert response["body"] == b"unset"


async def test_async_to_sync_in_a_view_runs_on_the_serving_loop():
    response = await fetch(PooledHTTPHandler(threads=2), "/test/loop/")
    assert json.loads(response["body"])["loop"] == id(asyncio.get_running_loop())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/test/query/", "/test/stream/", "/test/async-stream/"])
async def test_the_request_thread_gives_its_database_connection_back(path):
    handler = PooledHTTPHandler(threads=1)
    response = await fetch(handler, path)
    assert response["status"] == 200
    if path == "/test/async-stream/":  # given back before the loop began to send the stream
        assert response["body"] == b"given back; one two three"
    assert await in_pool_thread(handler, lambda: connection.connection is None)


@pytest.mark.django_db(transaction=True)
async def test_a_synchronous_stream_is_read_on_the_request_s_thread():
    """Not on asgiref's one thread per process, where the WebSocket consumers' database calls
    run: a large static file must not hold those up."""
    response = await fetch(PooledHTTPHandler(threads=1), "/test/stream/")
    assert response["body"] == b"read on http; one two three"


async def test_a_static_file_is_served_whole():
    from django.contrib.staticfiles import finders

    path = finders.find("css/site.css")
    response = await fetch(PooledHTTPHandler(threads=1), "/static/css/site.css")
    assert response["status"] == 200
    with open(path, "rb") as source:
        assert response["body"] == source.read()


async def test_an_error_is_the_site_s_500_page_without_the_detail():
    response = await fetch(PooledHTTPHandler(threads=1), "/test/broken/")
    assert response["status"] == 500
    assert b"boom-secret-detail" not in response["body"]


async def test_a_body_over_the_limit_is_a_bad_request_not_an_error(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10
    response = await fetch(PooledHTTPHandler(threads=1), "/test/echo/", method="POST",
                           body=b"a=" + b"x" * 100,
                           headers=[(b"content-type", b"application/x-www-form-urlencoded")])
    assert response["status"] == 400


async def test_requests_run_side_by_side_on_the_pool():
    handler_urls.rendezvous.reset()
    handler = PooledHTTPHandler(threads=4)
    responses = await asyncio.gather(*(fetch(handler, "/test/meet/") for _ in range(4)))
    assert [r["body"] for r in responses] == [b"met"] * 4


def test_a_forked_process_gets_a_pool_of_its_own(monkeypatch):
    handler = PooledHTTPHandler(threads=1)
    parent_pool = handler._pool()
    assert handler._pool() is parent_pool
    monkeypatch.setattr(http.os, "getpid", lambda: -1)
    assert handler._pool() is not parent_pool


@pytest.mark.django_db(transaction=True)
async def test_a_stream_is_closed_once_after_it_was_sent():
    handler = PooledHTTPHandler(threads=1)
    closed = []
    original = handler._close
    handler._close = lambda response, body_file: (closed.append(response.streaming),
                                                  original(response, body_file))
    assert (await fetch(handler, "/test/async-stream/"))["body"].endswith(b"one two three")
    assert (await fetch(handler, "/test/echo/", method="POST", body=b"x"))["body"] == b"x"
    assert closed == [True, False]


async def test_a_stream_whose_client_left_while_the_view_ran_is_still_closed():
    handler_urls.closed.clear()
    scope = {"type": "http", "http_version": "1.1", "method": "GET",
             "path": "/test/slow-async-stream/", "query_string": b"", "headers": HOST}
    communicator = ApplicationCommunicator(PooledHTTPHandler(threads=1), scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    await asyncio.sleep(0.1)  # the view is running on its thread
    communicator.future.cancel()  # what daphne does some time after the client left
    for _ in range(50):
        if handler_urls.closed.is_set():
            break
        await asyncio.sleep(0.1)
    assert handler_urls.closed.is_set()
