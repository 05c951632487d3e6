"""bench/faults.py's readers: they must see frames as a browser does, when they arrive, or the
bench reports its own client's backlog as the server's delivery lag."""

import asyncio
import importlib
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def faults(monkeypatch, tmp_path):
    monkeypatch.setenv("PROD_DIR", str(tmp_path))
    monkeypatch.setenv("FAULTS_DIR", str(tmp_path))
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module("faults")
    yield module
    sys.modules.pop("faults", None)


def text_frame(message: dict) -> bytes:
    payload = json.dumps(message).encode()
    assert len(payload) < 126
    return bytes([0x81, len(payload)]) + payload


async def test_a_reader_handles_each_frame_as_it_arrives(faults, monkeypatch):
    # No tick and no ping within the test: only an arriving frame can wake the reader.
    monkeypatch.setattr(faults, "TICK_SECONDS", 3600.0)
    monkeypatch.setattr(faults, "PING_SECONDS", 3600.0)
    sent = asyncio.Event()

    async def server(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\n\r\n")
        writer.write(text_frame({"type": "hello", "thread_id": 1, "seq": 0}))
        for seq in (1, 2, 3):
            await asyncio.sleep(0.05)  # separate arrivals, as posts come in
            writer.write(text_frame({"type": "post.created", "seq": seq, "post_id": 100 + seq}))
            await writer.drain()
        sent.set()
        await asyncio.sleep(3600)

    listener = await asyncio.start_server(server, "127.0.0.1", 0)
    monkeypatch.setattr(faults, "PORT", listener.sockets[0].getsockname()[1])
    follower = faults.Follower(1, "sessionid=x", checks_posts=True)
    follower.ws = await faults.open_socket("/ws/threads/1/", follower.cookie)
    following = asyncio.ensure_future(follower.follow(asyncio.Event()))
    try:
        await asyncio.wait_for(sent.wait(), 5)

        async def all_handled():
            while follower.posts != [101, 102, 103]:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(all_handled(), 5)
        assert set(follower.received_at) == {101, 102, 103}
    finally:
        following.cancel()
        follower.ws.abort()
        listener.close()
