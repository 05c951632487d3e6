"""community/wsgi.py: gunicorn's entry point serves the site, takes the client address from
nginx's header when told to, and sends announcements from the process's loop thread."""

import gc
import importlib
import io
from wsgiref.util import setup_testing_defaults

import pytest

from live import broadcast


@pytest.fixture
def wsgi(monkeypatch):
    """community.wsgi as gunicorn imports it, its process-wide switches undone afterwards."""
    monkeypatch.setattr(broadcast, "_hand_to_loop_thread", broadcast._hand_to_loop_thread)
    monkeypatch.delenv("PROXY_HEADERS", raising=False)
    import community.wsgi

    yield importlib.reload(community.wsgi)
    gc.unfreeze()


def call(app, path="/toegankelijkheid/", **environ):
    request = {"PATH_INFO": path, "HTTP_HOST": "127.0.0.1", "wsgi.input": io.BytesIO(),
               **environ}
    setup_testing_defaults(request)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    body = b"".join(app(request, start_response))
    return seen["status"], body


@pytest.mark.django_db
def test_the_site_is_served_over_wsgi(wsgi):
    status, body = call(wsgi.application)
    assert status.startswith("200")
    assert b"<html" in body


def test_announcements_go_out_from_the_loop_thread(wsgi):
    assert broadcast._hand_to_loop_thread is True


def test_the_client_address_comes_from_the_proxy_header_when_told():
    from community.wsgi import client_address_from_proxy

    seen = []

    def app(environ, start_response):
        seen.append(environ["REMOTE_ADDR"])
        return [b""]

    wrapped = client_address_from_proxy(app)
    wrapped({"REMOTE_ADDR": "", "HTTP_X_FORWARDED_FOR": "192.0.2.7, 10.0.0.1"}, None)
    wrapped({"REMOTE_ADDR": "198.51.100.1"}, None)
    assert seen == ["192.0.2.7", "198.51.100.1"]


def test_without_proxy_headers_the_address_is_the_peer_s(wsgi):
    from django.core.handlers.wsgi import WSGIHandler

    assert isinstance(wsgi.application, WSGIHandler)


def test_a_static_file_is_served_whole(wsgi):
    from django.contrib.staticfiles import finders

    status, body = call(wsgi.application, "/static/css/site.css")
    assert status.startswith("200")
    with open(finders.find("css/site.css"), "rb") as source:
        assert body == source.read()


async def test_daphne_s_entry_point_still_answers_http_through_django():
    """For runserver and the browser tests' server (production sends daphne /ws/ only)."""
    from channels.testing import HttpCommunicator

    from community.asgi import application

    response = await HttpCommunicator(application, "GET", "/toegankelijkheid/",
                                      headers=[(b"host", b"testserver")]).get_response(timeout=10)
    assert response["status"] == 200
    assert b"<html" in response["body"]
