"""Two daphne processes behind one Redis, as deployed (scripts/prod-local): a post written
through one process reaches a reader connected to the other, and a Redis outage loses nothing
(the reader catches up from the event table once it reconnects).

It needs PostgreSQL (both processes and the test share the test database) and Redis; the
Redis it uses is a private redis-server on a free port, so stopping it touches nothing else.
"""

import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings

from tests.factories import make_forums, make_member, make_region, make_thread
from tests.live.conftest import login_session

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")
REDIS_SERVER = shutil.which("redis-server")


# --- a minimal RFC 6455 client (the venv has no websocket client library) ---------------------

class SocketClosed(Exception):
    def __init__(self, code):
        super().__init__(f"closed with {code}")
        self.code = code


class WebSocket:
    def __init__(self, port: int, path: str, *, origin: str, cookie: str = "",
                 timeout: float = 5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13", f"Origin: {origin}"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout).decode("latin-1")
        status = head.split("\r\n", 1)[0]
        if " 101 " not in status:
            raise ConnectionError(f"handshake refused: {status}")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        assert f"sec-websocket-accept: {accept.lower()}" in head.lower(), head

    def _fill(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise
        except OSError as error:
            raise SocketClosed(f"connection error {error}") from error
        if not chunk:
            raise SocketClosed("connection dropped without a close frame")
        self.buffer += chunk

    def _read_until(self, marker: bytes, deadline: float) -> bytes:
        while marker not in self.buffer:
            self._fill(deadline)
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self.buffer) < n:
            self._fill(deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _send_frame(self, opcode: int, payload: bytes) -> None:
        header = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def send_json(self, message: dict) -> None:
        self._send_frame(0x1, json.dumps(message).encode())

    def receive(self, timeout: float = 2.0) -> dict:
        """The next JSON message; answers pings; SocketClosed when the server closes."""
        deadline = time.monotonic() + timeout
        message = b""
        while True:
            first, second = self._read(2, deadline)
            opcode, length = first & 0x0F, second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2, deadline))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8, deadline))[0]
            payload = self._read(length, deadline)
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise SocketClosed(code)
            if opcode == 0x9:
                self._send_frame(0xA, payload)
                continue
            if opcode in (0x1, 0x0):
                message += payload
                if first & 0x80:
                    return json.loads(message)

    def event(self, timeout: float = 2.0) -> dict:
        """The next frame that is not presence."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.receive(max(0.01, deadline - time.monotonic()))
            if frame["type"] != "presence":
                return frame

    def nothing(self, timeout: float) -> None:
        try:
            frame = self.event(timeout)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._send_frame(0x8, struct.pack("!H", 1000))
        self.sock.close()


def open_reader(port: int, thread_id: int, last_seq: int | None = None) -> tuple[WebSocket, int]:
    """A resumed reader (at the hello's sequence unless last_seq); returns it and the seq."""
    ws = WebSocket(port, f"/ws/threads/{thread_id}/", origin=f"http://127.0.0.1:{port}")
    hello = ws.event()
    assert hello["type"] == "hello", hello
    ws.send_json({"type": "resume", "last_seq": hello["seq"] if last_seq is None else last_seq})
    return ws, hello["seq"]


def reconnect(port: int, thread_id: int, last_seq: int) -> tuple[WebSocket, list[str]]:
    """Reconnects as the browser client does, retrying a refused handshake for a few seconds;
    returns the reader and the refusals on the way."""
    refusals = []
    deadline = time.monotonic() + 5
    while True:
        try:
            return open_reader(port, thread_id, last_seq)[0], refusals
        except (ConnectionError, SocketClosed) as error:
            refusals.append(str(error))
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --- HTTP through one process, as a logged-in browser ---------------------------------------

class Browser:
    def __init__(self, port: int, session_key: str):
        self.port = port
        self.cookies = {settings.SESSION_COOKIE_NAME: session_key}

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        headers = dict(headers or {})
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, text

    def reply(self, thread_id: int, body: str) -> int:
        page = f"/onderwerp/{thread_id}/?page=1"
        status, html = self.request("GET", page)
        assert status == 200, html[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
        origin = f"http://127.0.0.1:{self.port}"
        status, text = self.request(
            "POST", f"/onderwerp/{thread_id}/reageren/",
            body=urlencode({"csrfmiddlewaretoken": token, "idempotency_key": key,
                            "body": body}),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
                     "Referer": origin + page})
        assert status == 302, text[:2000]
        return status


# --- processes -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str, processes=()) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise AssertionError(f"{what}: {process.args[0]} exited ({process.returncode})")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout} s")


def http_ok(port: int, path: str = "/healthz") -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    finally:
        connection.close()


def redis_answers(port: int) -> bool:
    import redis

    try:
        return redis.Redis(port=port, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


def start_redis(port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--daemonize", "no"],
        stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_until(lambda: redis_answers(port), 10, "redis-server start", [process])
    return process


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def test_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


def start_daphne(port: int, redis_port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": test_database_url(),
           "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0", "LOCAL_HTTP": "1", "DEBUG": "0",
           "DJANGO_SETTINGS_MODULE": "community.settings", "STATIC_MANIFEST": "0",
           "DB_POOL_MIN": "1", "DB_POOL_MAX": "5"}
    return subprocess.Popen(
        [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


# --- the test --------------------------------------------------------------------------------

def test_posts_cross_processes_and_survive_a_redis_outage(transactional_db, tmp_path):
    if not REDIS_SERVER:
        pytest.skip("needs redis-server (Debian package redis-server) for a private Redis")
    forum = make_forums(make_region())[2]  # public
    author = make_member(region=forum.region)
    thread = make_thread(forum=forum, author=author, title="Over twee processen")
    session_key = login_session(author)

    redis_port, port_a, port_b = free_port(), free_port(), free_port()
    logs = {name: tmp_path / f"{name}.log" for name in ("redis", "a", "b")}
    redis_server = daphne_a = daphne_b = reader = None
    try:
        redis_server = start_redis(redis_port, logs["redis"])
        daphne_a = start_daphne(port_a, redis_port, logs["a"])
        daphne_b = start_daphne(port_b, redis_port, logs["b"])
        for port in (port_a, port_b):
            wait_until(lambda port=port: http_ok(port), 20, f"daphne on {port}",
                       [daphne_a, daphne_b])
        browser = Browser(port_b, session_key)

        # Written through B, read live on A: the channel layer joins the processes.
        reader, seq = open_reader(port_a, thread.pk)
        reader.send_json({"type": "ping"})
        assert reader.event()["type"] == "pong"  # resumed: what follows is live
        browser.reply(thread.pk, "Geschreven via proces B.")
        created = reader.event(timeout=2)
        assert (created["type"], created["seq"]) == ("post.created", seq + 1)
        assert "Geschreven via proces B." in created["html"]
        last_seq = created["seq"]

        # Redis goes away: writes still succeed (the table is the truth).
        stop(redis_server)
        started = time.monotonic()
        for n in (1, 2):
            browser.reply(thread.pk, f"Tijdens de storing {n}.")
        assert time.monotonic() - started < 10
        assert thread.events.filter(seq__gt=last_seq).count() == 2

        # Redis is back (empty: groups and channels are gone); the reader's socket ended with
        # the layer, and a reconnect with resume(last_seq) fills the gap from the table.
        redis_server = start_redis(redis_port, logs["redis"])
        try:
            frame = reader.event(timeout=10)
            raise AssertionError(f"expected the socket to close, got {frame}")
        except SocketClosed:
            pass
        reader.close()
        reader, refusals = reconnect(port_a, thread.pk, last_seq)
        missed = [reader.event(timeout=3) for _ in range(2)]
        assert [(m["type"], m["seq"]) for m in missed] == [
            ("post.created", last_seq + 1), ("post.created", last_seq + 2)]
        assert "Tijdens de storing 1." in missed[0]["html"]
        assert "Tijdens de storing 2." in missed[1]["html"]
        reader.nothing(0.5)

        # And the live path works again across processes.
        browser.reply(thread.pk, "Na de storing.")
        after = reader.event(timeout=2)
        assert (after["type"], after["seq"]) == ("post.created", last_seq + 3)
        reader.nothing(0.3)

        # Losing Redis is an expected event, not a crash: a reconnect may be refused while the
        # layer's pool drops its dead connections (the client backs off and retries), but not
        # with a 500, and no traceback in the servers' logs (one per open socket, in production).
        assert not [r for r in refusals if " 500 " in r], refusals
        for name in ("a", "b"):
            text = logs[name].read_text(errors="replace")
            assert "Traceback" not in text and " ERROR " not in text, f"{name}: {text[-3000:]}"
    except BaseException:
        for name, path in logs.items():
            if path.exists():
                print(f"--- {name} log ---\n{path.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        if reader is not None:
            reader.close()
        for process in (daphne_a, daphne_b, redis_server):
            stop(process)
