"""The readers of the live-thread benchmark: many WebSockets in one asyncio process, speaking
docs/live-protocol.md as the browser client does (run by bench/live).

  live_clients.py idle|fanout|catchup INFO_JSON OUT_JSON

  idle     IDLE_SOCKETS logged-in readers on ONE daphne process (20 per thread over the idle
           threads, 10 per user), pinging every 25 s like the browser. Reports the process's
           RSS growth per socket and the CPU the site spends while they sit there.
  fanout   FANOUT_SOCKETS logged-in readers on the fan-out thread, spread evenly over the daphne
           processes; then POSTS replies at POST_RATE per second (bench/live_post.py). Reports
           the latency from commit to receipt, per reader and reply, and every missing or
           duplicate event.
  catchup  A reader goes away; CATCHUP_POSTS replies are written; it reconnects with the last
           seq it saw. Reports the time from opening the connection until it has the last
           event (CATCHUP_ROUNDS times, from the same seq).

The sockets connect to the daphne processes' unix sockets directly (var/prod/run/daphne-N.sock),
not through nginx: the bench chooses which process holds which reader. Receipt times are
time.monotonic() when a frame has been read; the writer stamps commits on the same clock.

Environment: DBNAME (for the CPU figures of its PostgreSQL backends), the settings above, and
what bench/live_post.py needs (it is started from here).
"""

import asyncio
import base64
import collections
import contextlib
import json
import os
import random
import resource
import statistics
import struct
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import cpustat  # noqa: E402

PY = sys.executable
RUN = ROOT / "var" / "prod" / "run"
PIDS = ROOT / "var" / "prod" / "pids"
ORIGIN = "http://127.0.0.1"
PRESENCE = b'{"type": "presence"'
PING_SECONDS = 25
HZ = os.sysconf("SC_CLK_TCK")


def setting(name: str, default: float) -> float:
    return type(default)(os.environ.get(name, default))


# --- a minimal RFC 6455 client over asyncio streams (no client library in the venv) -----------

class Closed(Exception):
    def __init__(self, code):
        super().__init__(f"closed with {code}")
        self.code = code


class WebSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, unix_path: str, path: str, cookie: str = "") -> "WebSocket":
        reader, writer = await asyncio.open_unix_connection(unix_path, limit=1 << 20)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
                 f"Origin: {ORIGIN}"]
        if cookie:
            lines.append(f"Cookie: {cookie}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 101 " not in status:
            writer.close()
            raise ConnectionError(f"handshake refused: {status.decode('latin-1')}")
        return cls(reader, writer)

    def send_json(self, message: dict) -> None:
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)

    async def receive(self) -> bytes:
        """The next text message (raw JSON); answers the server's pings; Closed on a close."""
        reader = self.reader
        while True:
            first, second = await reader.readexactly(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", await reader.readexactly(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", await reader.readexactly(8))[0]
            payload = await reader.readexactly(length) if length else b""
            opcode = first & 0x0F
            if opcode == 0x1:
                return payload
            if opcode == 0x8:
                raise Closed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == 0x9:  # daphne pings every 20 s and closes sockets that do not answer
                mask = os.urandom(4)
                self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + mask
                                  + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    async def event(self) -> dict:
        """The next message that is not presence (presence is not parsed: it is most of the
        traffic while readers join)."""
        while True:
            raw = await self.receive()
            if not raw.startswith(PRESENCE):
                return json.loads(raw)

    def abort(self) -> None:
        """Gone without a close frame, as a tab whose network vanished."""
        with contextlib.suppress(Exception):
            self.writer.transport.abort()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            mask = os.urandom(4)
            payload = struct.pack("!H", 1000)
            self.writer.write(bytes([0x88, 0x82]) + mask
                              + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            self.writer.close()


class Reader:
    """One resumed reader: it has sent `resume` and its replay is done (the `pong` after it)."""

    def __init__(self, ws: WebSocket, hello: dict):
        self.ws, self.hello = ws, hello
        self.created: list[tuple[int, int, float]] = []  # (post_id, seq, receipt time)
        self.seqs: list[int] = []
        self.closed = None

    @classmethod
    async def connect(cls, unix_path: str, thread_id: int, cookie: str,
                      last_seq: int | None = None) -> "Reader":
        ws = await WebSocket.open(unix_path, f"/ws/threads/{thread_id}/", cookie)
        hello = await ws.event()
        if hello.get("type") != "hello":
            raise ConnectionError(f"expected hello, got {hello}")
        ws.send_json({"type": "resume", "last_seq": hello["seq"] if last_seq is None else last_seq})
        ws.send_json({"type": "ping"})
        reader = cls(ws, hello)
        while True:
            message = await ws.event()
            if message.get("type") == "pong":
                return reader
            reader.record(message, time.monotonic())

    def record(self, message: dict, received: float) -> None:
        if "seq" in message and message.get("type") not in ("hello", "resync"):
            self.seqs.append(message["seq"])
            if message["type"] == "post.created":
                self.created.append((message["post_id"], message["seq"], received))

    async def listen(self) -> None:
        try:
            while True:
                raw = await self.ws.receive()
                received = time.monotonic()
                if raw.startswith(PRESENCE):
                    continue
                self.record(json.loads(raw), received)
        except Closed as closed:
            self.closed = closed.code
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed = "dropped"


# --- helpers ---------------------------------------------------------------------------------

def daphne_processes() -> list[tuple[int, str]]:
    """(pid, unix socket) of every daphne process of scripts/prod-local."""
    found = []
    for line in PIDS.read_text().splitlines():
        pid, _sep, name = line.partition(" ")
        if name.startswith("daphne-"):
            found.append((int(pid), str(RUN / f"{name}.sock")))
    return sorted(found, key=lambda item: item[1])


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_snapshot() -> dict:
    return cpustat.snap(str(PIDS), os.environ.get("DBNAME", ""))


def cpu_ms(before: dict, after: dict) -> dict:
    return {group: round((after[group] - before[group]) * 1000 / HZ, 1) for group in before}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def connect_all(targets: list[tuple[str, int, str]], concurrency: int,
                      listeners: list | None = None) -> list[Reader]:
    """Readers for (unix socket, thread, cookie), at most `concurrency` handshakes at a time
    (as page loads arrive, not all in one instant); a refused one is retried with backoff.

    With `listeners`, each reader starts listening the moment it is connected (its task is
    appended there), as a browser does: daphne pings every 20 s and drops a socket that has
    not answered within 30 s, so readers left unread while 2,000 others connect (about a
    minute) would be dropped by the bench itself."""
    gate = asyncio.Semaphore(concurrency)

    async def one(target) -> Reader:
        for attempt in range(8):
            async with gate:
                try:
                    reader = await asyncio.wait_for(Reader.connect(*target), 60)
                    if listeners is not None:
                        listeners.append(asyncio.ensure_future(reader.listen()))
                    return reader
                except (TimeoutError, ConnectionError, Closed,
                        asyncio.IncompleteReadError) as error:
                    failure = error
            await asyncio.sleep(random.uniform(0, min(30, 0.5 * 2 ** attempt)))
        raise RuntimeError(f"could not connect {target[:2]}: {failure}")

    return await asyncio.gather(*(one(target) for target in targets))


async def poster(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(PY, str(HERE / "live_post.py"), *args)
    if await process.wait() != 0:
        raise RuntimeError(f"live_post.py {args[0]} failed ({process.returncode})")


def cookie(info: dict, user_index: int) -> str:
    return f"{info['session_cookie']}={info['sessions'][user_index]}"


# --- the three measurements ------------------------------------------------------------------

async def idle(info: dict) -> dict:
    count = int(setting("IDLE_SOCKETS", 2000))
    seconds = setting("IDLE_SECONDS", 60.0)
    pid, unix_path = daphne_processes()[0]
    threads = info["idle_threads"]
    per_thread = -(-count // len(threads))

    # Warm up the process (imports, pools, templates) so the baseline is its steady state.
    warm = await connect_all([(unix_path, threads[0], cookie(info, 0))] * 5, 5)
    for reader in warm:
        await reader.ws.close()
    await asyncio.sleep(3)
    rss_before = rss_kib(pid)

    targets = [(unix_path, threads[n // per_thread], cookie(info, 1 + n // 10))
               for n in range(count)]
    started = time.monotonic()
    listeners: list = []
    readers = await connect_all(targets, 20, listeners)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(10)  # the joins' presence announcements settle
    rss_after = rss_kib(pid)

    async def keep_pinging(reader: Reader) -> None:
        await asyncio.sleep(random.uniform(0, PING_SECONDS))
        while True:
            reader.ws.send_json({"type": "ping"})
            await asyncio.sleep(PING_SECONDS)

    pingers = [asyncio.ensure_future(keep_pinging(r)) for r in readers]
    cpu_before, own_before, load_before = cpu_snapshot(), own_cpu_seconds(), load()
    await asyncio.sleep(seconds)
    cpu_after, own_after = cpu_snapshot(), own_cpu_seconds()
    still_open = sum(1 for r in readers if r.closed is None)
    for task in pingers + listeners:
        task.cancel()
    for reader in readers:
        reader.ws.abort()
    cpu = cpu_ms(cpu_before, cpu_after)
    return {
        "sockets": count, "threads": len(threads[:-(-count // per_thread)]),
        "users": -(-count // 10), "connect_seconds": round(connect_seconds, 1),
        "still_open": still_open,
        # Why the others closed: WebSocket close codes (docs/live-protocol.md) or "dropped".
        "close_codes": dict(collections.Counter(str(r.closed) for r in readers
                                                if r.closed is not None)),
        "rss_before_kib": rss_before, "rss_after_kib": rss_after,
        "kib_per_socket": round((rss_after - rss_before) / count, 1),
        "idle_seconds": seconds, "cpu_ms": cpu,
        "daphne_cpu_percent": round(cpu["daphne"] / 10 / seconds, 2),
        "site_cpu_percent": round(sum(cpu.values()) / 10 / seconds, 2),
        "client_cpu_percent": round((own_after - own_before) * 100 / seconds, 2),
        "load": load_before,
    }


def _tenths(items: list) -> list[list]:
    size = max(1, -(-len(items) // 10))
    return [items[i:i + size] for i in range(0, len(items), size)]


async def fanout(info: dict) -> dict:
    count = int(setting("FANOUT_SOCKETS", 500))
    posts = int(setting("POSTS", 100))
    rate = setting("POST_RATE", 5.0)
    processes = daphne_processes()
    thread = info["fanout_thread"]
    first_user = 1 + -(-int(setting("IDLE_SOCKETS", 2000)) // 10)  # not the idle readers
    targets = [(processes[n % len(processes)][1], thread, cookie(info, first_user + n // 10))
               for n in range(count)]
    started = time.monotonic()
    listeners: list = []
    readers = await connect_all(targets, 20, listeners)
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(5)  # the joins' presence announcements settle

    out = Path(os.environ["TMPDIR_LIVE"]) / "fanout-posts.json"
    cpu_before, own_before, load_before = cpu_snapshot(), own_cpu_seconds(), load()
    await poster("steady", str(thread), str(info["poster_id"]), str(posts), str(rate), str(out))
    written = json.loads(out.read_text())
    committed = {p["post_id"]: p["committed"] for p in written}
    deadline = time.monotonic() + 30

    def complete(reader: Reader) -> bool:
        return committed.keys() <= {post_id for post_id, _seq, _t in reader.created}

    while time.monotonic() < deadline and not all(complete(r) for r in readers):
        await asyncio.sleep(0.1)
    cpu_after, own_after = cpu_snapshot(), own_cpu_seconds()
    for task in listeners:
        task.cancel()
    for reader in readers:
        reader.ws.abort()

    latencies, missing, duplicates, out_of_order = [], 0, 0, 0
    by_post: dict[int, list[float]] = {post_id: [] for post_id in committed}
    for reader in readers:
        seen: dict[int, int] = {}
        for post_id, _seq, received in reader.created:
            if post_id in committed:
                seen[post_id] = seen.get(post_id, 0) + 1
                if seen[post_id] == 1:
                    latencies.append((received - committed[post_id]) * 1000)
                    by_post[post_id].append(latencies[-1])
        missing += sum(1 for post_id in committed if post_id not in seen)
        duplicates += sum(n - 1 for n in seen.values())
        steps = zip(reader.seqs, reader.seqs[1:], strict=False)
        out_of_order += sum(1 for a, b in steps if b != a + 1)
    cpu = cpu_ms(cpu_before, cpu_after)
    return {
        "sockets": count, "processes": len(processes), "posts": len(written), "rate": rate,
        "connect_seconds": round(connect_seconds, 1),
        # p99 over each tenth of the run, in posting order: a warm-up burst shows at the start,
        # a backlog that grows shows as a rising series.
        "p99_by_tenth_ms": [
            round(percentile([x for pid in chunk for x in by_post[pid]], 0.99), 1)
            if any(by_post[pid] for pid in chunk) else None
            for chunk in _tenths([p["post_id"] for p in written])],
        "deliveries": len(latencies), "expected": len(written) * count,
        "missing": missing, "duplicates": duplicates, "out_of_order": out_of_order,
        "closed": sum(1 for r in readers if r.closed is not None),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "cpu_ms_per_post": {k: round(v / max(len(written), 1), 1) for k, v in cpu.items()},
        "client_cpu_ms_per_post": round((own_after - own_before) * 1000 / max(len(written), 1), 1),
        "load": load_before,
    }


async def catchup(info: dict) -> dict:
    posts = int(setting("CATCHUP_POSTS", 500))
    rounds = int(setting("CATCHUP_ROUNDS", 5))
    _pid, unix_path = daphne_processes()[0]
    thread = info["catchup_thread"]
    me = cookie(info, len(info["sessions"]) - 1)
    reader = await Reader.connect(unix_path, thread, me)
    last_seq = reader.hello["seq"]
    await reader.ws.close()
    await poster("bulk", str(thread), str(info["poster_id"]), str(posts))

    times, problems, sizes = [], [], []
    for _ in range(rounds):
        started = time.monotonic()
        ws = await WebSocket.open(unix_path, f"/ws/threads/{thread}/", me)
        ws.send_json({"type": "resume", "last_seq": last_seq})  # allowed before hello
        hello, seqs, size = None, [], 0
        while True:
            raw = await ws.receive()
            if raw.startswith(PRESENCE):
                continue
            message = json.loads(raw)
            if message["type"] == "hello":
                hello = message
            elif "seq" in message:
                seqs.append(message["seq"])
                size += len(raw)
                if message["type"] == "resync":
                    problems.append("resync instead of a replay")
                    break
            if hello is not None and seqs and seqs[-1] >= hello["seq"]:
                break
        times.append((time.monotonic() - started) * 1000)
        sizes.append(size)
        if seqs != list(range(last_seq + 1, hello["seq"] + 1)) or len(seqs) != posts:
            problems.append(f"got {len(seqs)} events, expected {posts} in order")
        await ws.close()
        await asyncio.sleep(0.5)
    return {
        "missed": posts, "rounds": rounds, "median_ms": round(statistics.median(times), 1),
        "max_ms": round(max(times), 1), "first_ms": round(times[0], 1),
        "kib": round(statistics.median(sizes) / 1024), "problems": problems, "load": load(),
    }


def main(argv: list[str]) -> None:
    if len(argv) != 3 or argv[0] not in ("idle", "fanout", "catchup"):
        raise SystemExit(__doc__)
    info = json.loads(Path(argv[1]).read_text())
    result = asyncio.run({"idle": idle, "fanout": fanout, "catchup": catchup}[argv[0]](info))
    Path(argv[2]).write_text(json.dumps(result, indent=2))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
