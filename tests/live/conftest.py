"""Real sockets on the deployed ASGI stack: origin check, cookie, session and auth middleware,
router, consumer. A reader logs in with a session cookie, as a browser does."""

import asyncio
import contextlib
import json
import time
import uuid
from importlib import import_module

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

ORIGIN = b"http://127.0.0.1:8000"  # an ALLOWED_HOSTS origin


class Closed(AssertionError):
    """The server closed the socket while a frame was expected."""

    def __init__(self, code):
        super().__init__(f"socket closed with {code}")
        self.code = code


class Reader:
    """A live-thread socket as the browser client uses it.

    Presence frames may arrive at any moment (readers come and go); they are kept in
    `presence` and skipped unless asked for. A timeout inside WebsocketCommunicator cancels
    the application, so waiting past a deadline always ends the test.
    """

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.presence: list[dict] = []
        self.hello: dict | None = None

    async def frame(self, timeout: float = 3.0, skip=("presence",)) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.01, deadline - time.monotonic())
            output = await self.communicator.receive_output(timeout=left)
            if output["type"] == "websocket.close":
                raise Closed(output.get("code"))
            assert output["type"] == "websocket.send", output
            frame = json.loads(output["text"])
            if frame["type"] == "presence":
                self.presence.append(frame)
            if frame["type"] in skip:
                continue
            return frame

    async def frames(self, count: int, timeout: float = 5.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        return [await self.frame(max(0.01, deadline - time.monotonic())) for _ in range(count)]

    async def close_code(self, timeout: float = 5.0) -> int:
        """Waits for the server to close the socket (frames before it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            left = max(0.01, deadline - time.monotonic())
            output = await self.communicator.receive_output(timeout=left)
            if output["type"] == "websocket.close":
                return output.get("code")

    async def nothing(self, timeout: float = 1.0) -> None:
        """No frame but presence arrives within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not await self.communicator.receive_nothing(
                    timeout=min(0.1, max(0.01, deadline - time.monotonic()))):
                output = await self.communicator.receive_output(timeout=1)
                if output["type"] == "websocket.close":
                    raise Closed(output.get("code"))
                frame = json.loads(output["text"])
                if frame["type"] == "presence":
                    self.presence.append(frame)
                    continue
                raise AssertionError(f"unexpected frame {frame}")

    async def send(self, message) -> None:
        await self.communicator.send_json_to(message)

    async def resume(self, last_seq: int | None = None) -> None:
        await self.send({"type": "resume",
                         "last_seq": self.hello["seq"] if last_seq is None else last_seq})

    async def ping(self) -> dict:
        """The pong (docs/live-protocol.md §4); frames the ping made the server send before it
        (a catch-up) fail the assertion."""
        await self.send({"type": "ping"})
        pong = await self.frame()
        assert pong["type"] == "pong", pong
        return pong

    async def disconnect(self) -> None:
        """The client goes away (or, after the server closed, the server reports the close
        to the application, as daphne does)."""
        await self.communicator.disconnect()


def _headers(session_key: str | None, origin: bytes | None,
             language: str | None = None) -> list[tuple[bytes, bytes]]:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    cookies = []
    if session_key:
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session_key}")
    if language:  # what the header's language link sets
        cookies.append(f"{settings.LANGUAGE_COOKIE_NAME}={language}")
    if cookies:
        headers.append((b"cookie", "; ".join(cookies).encode()))
    return headers


def make_communicator(path: str, *, session_key: str | None = None,
                      origin: bytes | None = ORIGIN,
                      language: str | None = None) -> WebsocketCommunicator:
    from community.asgi import application

    return WebsocketCommunicator(application, path,
                                 headers=_headers(session_key, origin, language))


@pytest.fixture
async def open_reader():
    """`await open_reader(thread_id, session_key=None, resume=True, language=None)`: a reader
    past hello (and resumed at the hello's sequence unless resume=False), with the language
    cookie set to `language` if given. Sockets left open are closed at the end of the test."""
    readers: list[Reader] = []

    async def open_(thread_id: int, *, session_key: str | None = None,
                    resume: bool = True, language: str | None = None) -> Reader:
        communicator = make_communicator(f"/ws/threads/{thread_id}/", session_key=session_key,
                                         language=language)
        connected, _code = await communicator.connect()
        assert connected
        reader = Reader(communicator)
        readers.append(reader)
        reader.hello = await reader.frame()
        assert reader.hello["type"] == "hello", reader.hello
        if resume:
            await reader.resume()
            # Frames are handled in order: the pong means the resume (and its replay) is done,
            # so what the test writes next arrives live.
            await reader.ping()
        return reader

    yield open_
    for reader in readers:
        if not reader.communicator.future.done():
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await reader.communicator.disconnect(timeout=2)


def login_session(user) -> str:
    """A logged-in session stored the way django.contrib.auth.login stores it; its key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user
    from django.http import HttpRequest

    from core.session_clock import LAST_ACTIVITY, LOGGED_IN_AT

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LOGGED_IN_AT] = store[LAST_ACTIVITY] = time.time()
    store.save()
    # The sockets must really be logged in: a session Django no longer accepts (say, a backend
    # dropped from AUTHENTICATION_BACKENDS) would quietly test the anonymous path instead.
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(store.session_key)
    assert get_user(request).pk == user.pk
    return store.session_key


@pytest.fixture
def session_for():
    """`await session_for(user)`: the session key of a fresh login of that user."""
    return sync_to_async(login_session)


class FakeClock:
    """A clock for the presence and socket stores that moves only when a test sets `now`."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own; its keys are removed afterwards."""
    prefix = f"test-live-{uuid.uuid4().hex}"
    yield prefix
    client = redis_client()
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """One channel layer per test. Channels keeps the layer for the life of the process, and
    channels-redis binds its receive lock and connection pools to the event loop of the first
    receiver; pytest-asyncio gives every test a new loop (a server process has just one)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
