"""A real daphne process answers broken frames with the close codes of docs/live-protocol.md §7
(RFC 6455: 1007 invalid UTF-8, 1009 too big) instead of dropping the TCP connection, which a
client cannot tell from a network failure (1006). live/daphne_limits.py makes it so by touching
one daphne internal; the first tests here fail loudly when that internal changes."""

import contextlib
import inspect
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from daphne import server as daphne_server
from daphne.ws_protocol import WebSocketFactory

from live import daphne_limits
from tests.live.test_two_processes import (
    SocketClosed,
    WebSocket,
    free_port,
    http_ok,
    stop,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
DAPHNE = Path(sys.executable).with_name("daphne")


def test_daphne_still_builds_its_websocket_factory_from_the_name_we_replace():
    import community.asgi  # noqa: F401 - installs the factory, as daphne's import of it does

    assert "WebSocketFactory(" in inspect.getsource(daphne_server.Server.run)
    assert daphne_server.WebSocketFactory is daphne_limits.ClosingWebSocketFactory
    assert issubclass(daphne_limits.ClosingWebSocketFactory, WebSocketFactory)


def test_the_factory_keeps_failing_by_close_frame_after_daphnes_own_options():
    factory = daphne_limits.ClosingWebSocketFactory(None, server="daphne")
    # What daphne's Server.run() sets after building it:
    factory.setProtocolOptions(autoPingTimeout=30, allowNullOrigin=True,
                               openHandshakeTimeout=5, maxMessagePayloadSize=1024 * 1024,
                               maxFramePayloadSize=1024 * 1024)
    assert factory.failByDrop is False
    assert factory.utf8validateIncoming is True


@pytest.fixture(scope="module")
def daphne_port(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("daphne") / "daphne.log"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": "",
           "REDIS_URL": ""}  # /ws/ping/ of an anonymous client needs neither
    process = subprocess.Popen(
        [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
        cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: http_ok(port), 30, f"daphne ({log})", [process])
        yield port
    finally:
        stop(process)


def open_ping_socket(port: int) -> WebSocket:
    ws = WebSocket(port, "/ws/ping/", origin=f"http://127.0.0.1:{port}")
    ws.send_json({"type": "ping"})
    assert ws.receive() == {"type": "pong"}
    return ws


def close_code_after(ws: WebSocket, send) -> int | str:
    """Sends from a thread (a large frame fills the socket buffers) and reads the close."""
    sender = threading.Thread(target=lambda: _ignore_reset(send), daemon=True)
    sender.start()
    try:
        while True:
            ws.receive(timeout=10)
    except SocketClosed as closed:
        return closed.code
    finally:
        sender.join(10)
        ws.sock.close()


def _ignore_reset(send) -> None:
    # The server may close while the rest of a big frame is on its way.
    with contextlib.suppress(OSError):
        send()


def test_invalid_utf8_in_a_text_frame_closes_1007(daphne_port):
    ws = open_ping_socket(daphne_port)
    frame = b'{"type": "ping", "x": "\xff\xfe"}'
    assert close_code_after(ws, lambda: ws._send_frame(0x1, frame)) == 1007


@pytest.mark.parametrize("mebibytes", [2, 20])
def test_a_frame_over_daphnes_limit_closes_1009(daphne_port, mebibytes):
    ws = open_ping_socket(daphne_port)
    frame = b'"' + b"a" * (mebibytes * 1024 * 1024) + b'"'
    assert close_code_after(ws, lambda: ws._send_frame(0x1, frame)) == 1009


def test_a_frame_over_our_limit_but_under_daphnes_closes_4009(daphne_port):
    ws = open_ping_socket(daphne_port)
    frame = b'"' + b"a" * (100 * 1024) + b'"'
    assert close_code_after(ws, lambda: ws._send_frame(0x1, frame)) == 4009


def test_the_server_still_serves_after_the_broken_clients(daphne_port):
    ws = open_ping_socket(daphne_port)
    ws.close()
