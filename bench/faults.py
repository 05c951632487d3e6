"""The fault bench (run by bench/faults): faults injected into the production layout while
writers post and readers follow live; one Markdown table.

  faults.py INFO_JSON OUT_MD

Writers (WRITERS, default 2) are logged-in members posting replies to one thread through
nginx, as the plain form does: GET the thread page (a page view), POST the reply with an
idempotency key, and on a 5xx or a refused connection send the same form again after the
Retry-After (at most RETRY_SECONDS), as a person pressing "send again" would. A post counts as
written once it was answered with the redirect to it.

Readers (READERS, default 150, over two event loops in threads) follow that thread over
WebSockets through nginx, as static/js/live-thread.js does: `resume` with the last seq they
applied, a `ping` every PING_SECONDS (25, as the browser), and after a drop a reconnect after a
random first delay of up to 1 s, then a jittered backoff. A `pong` that carries the thread's
seq (once the server sends it) and stays ahead of what the reader has for 3 s makes it
reconnect and resume, which is how a reader heals after Redis lost its group membership.

Each fault gets a phase: readers connected and caught up, 3 s of traffic, the fault, traffic
until PHASE_SECONDS after it, then up to RECOVERY_SECONDS (60) for every reader to be back and
to have every post. Per phase:

  posts written        posts answered with their redirect during the phase
  posts lost           written but not in the database, plus posts never accepted within
                       RETRY_SECONDS of retries
  deliveries missing   (post, reader) pairs not delivered once recovered (a `resync` counts as
                       delivered: the client reloads the page), plus tasks (notification
                       fan-out) still waiting in the queue once recovered
  duplicates           events a reader got twice
  HTTP 5xx             5xx answers to page views and replies (PostgreSQL restart: how many
                       fell outside the seconds PostgreSQL itself was down)
  readers recovered    readers connected and up to date at the end / readers
  time to recover      from the fault until every reader was connected and had every post
                       written until a second before, and stayed so to the end of the
                       phase; "-" when not within RECOVERY_SECONDS

The storm phase adds STORM_SOCKETS sockets (spread over the seeded idle threads, 5 per user),
then drops all of them and the readers at once: 2,000 reconnects within about a second.

Environment: PORT, DATABASE_URL, FAULTS_DIR, PROD_DIR, PG_CTL, PGDATA, REDIS_PORT, and the
settings named above; FAULTS (comma-separated names) to run only some.
"""

import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import resource
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from live_clients import PRESENCE, Closed, WebSocket  # noqa: E402


def setting(name: str, default):
    return type(default)(os.environ.get(name, default))


PORT = setting("PORT", 8093)
WRITERS = setting("WRITERS", 2)
READERS = setting("READERS", 100)
STORM_SOCKETS = setting("STORM_SOCKETS", 2000)
PING_SECONDS = setting("PING_SECONDS", 25.0)
PHASE_SECONDS = setting("PHASE_SECONDS", 35.0)
RECOVERY_SECONDS = setting("RECOVERY_SECONDS", 60.0)
RETRY_SECONDS = setting("RETRY_SECONDS", 30.0)
WRITE_PAUSE = setting("WRITE_PAUSE", 1.0)
# How often a reader looks at its ping and at a server that stays ahead, frames or not.
TICK_SECONDS = 1.0
PROD_DIR = Path(os.environ["PROD_DIR"])
FAULTS_DIR = Path(os.environ["FAULTS_DIR"])
ALL_FAULTS = ["none", "redis-restart", "redis-flushall", "kill-daphne", "kill-worker",
              "postgres-restart", "storm"]
FAULTS = [f for f in os.environ.get("FAULTS", ",".join(ALL_FAULTS)).split(",") if f]


def now() -> float:
    return time.monotonic()


def log(message: str) -> None:
    print(f"bench/faults: {message}", file=sys.stderr, flush=True)


# --- writers ---------------------------------------------------------------------------------

class Writer(threading.Thread):
    def __init__(self, index: int, session: str, cookie_name: str, thread_id: int,
                 mention: str, bench: "Bench"):
        super().__init__(daemon=True, name=f"writer-{index}")
        self.index, self.thread_id, self.mention, self.bench = index, thread_id, mention, bench
        self.cookies = {cookie_name: session}
        self.conn = None
        self.count = 0

    def request(self, method: str, path: str, form: dict | None = None):
        """(status or None for a refused connection, headers)."""
        headers = {"User-Agent": "werkplaats-faults", "Accept": "text/html",
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers.update({"Content-Type": "application/x-www-form-urlencoded",
                            "Origin": f"http://127.0.0.1:{PORT}",
                            "Referer": f"http://127.0.0.1:{PORT}/onderwerp/{self.thread_id}/"})
        for attempt in (1, 2):
            reused = self.conn is not None
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                break
            except (OSError, http.client.HTTPException) as error:
                with contextlib.suppress(Exception):
                    self.conn.close()
                self.conn = None
                if reused and attempt == 1:
                    continue  # nginx closed an idle keep-alive connection: as a browser, again
                log(f"writer {self.index}: {method} {path}: {error!r}")
                self.bench.http(None)
                return None, {}
        if response.status >= 500:
            log(f"writer {self.index}: {method} {path} answered {response.status}")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
            self.conn = None
        self.bench.http(response.status)
        return response.status, {k.lower(): v for k, v in response.getheaders()}

    def run(self) -> None:
        while not self.bench.finished:
            if not self.bench.writing.wait(0.2):
                continue
            phase = self.bench.phase
            self.count += 1
            key = uuid.uuid4().hex
            body = (f"Storingstest {phase.name}: schrijver {self.index}, bericht {self.count}. "
                    f"@{self.mention} lees je mee?")
            self.request("GET", f"/onderwerp/{self.thread_id}/?page=1")
            first_try = now()
            accepted = False
            while now() - first_try < RETRY_SECONDS and not self.bench.finished:
                if "csrftoken" not in self.cookies:
                    self.request("GET", f"/onderwerp/{self.thread_id}/?page=1")
                    if "csrftoken" not in self.cookies:
                        time.sleep(1)
                        continue
                status, headers = self.request(
                    "POST", f"/onderwerp/{self.thread_id}/reageren/",
                    {"body": body, "idempotency_key": key,
                     "csrfmiddlewaretoken": self.cookies["csrftoken"]})
                if status == 302:
                    match = re.search(r"#post-(\d+)$", headers.get("location", ""))
                    if match:
                        phase.accepted(int(match.group(1)), key)
                        accepted = True
                    break
                if status is not None and status < 500:
                    log(f"writer {self.index}: reply answered {status}")
                    break
                retry_after = float(headers.get("retry-after", "1") or 1)
                time.sleep(min(retry_after, 5.0))
            if not accepted:
                phase.gave_up(key)
            time.sleep(WRITE_PAUSE)


# --- readers ---------------------------------------------------------------------------------

async def open_socket(path: str, cookie: str) -> WebSocket:
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT, limit=1 << 20)
    import base64

    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{PORT}", "Upgrade: websocket",
             "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
             f"Origin: http://127.0.0.1:{PORT}", f"Cookie: {cookie}"]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status:
        writer.close()
        raise ConnectionError(f"handshake refused: {status.decode('latin-1')}")
    return WebSocket(reader, writer)


class Follower:
    """One reader, for the whole bench: reconnects and resumes by itself."""

    def __init__(self, thread_id: int, cookie: str, checks_posts: bool):
        self.thread_id, self.cookie, self.checks_posts = thread_id, cookie, checks_posts
        self.last_seq: int | None = None
        self.posts: list[int] = []          # post ids of post.created, in the order received
        self.resynced: list[tuple[int, int]] = []  # (after seq, up to seq) left to a reload
        self.seq_of: dict[int, int] = {}    # post id -> seq
        self.received_at: dict[int, float] = {}
        self.duplicates = 0
        self.up = False                     # connected, resumed and answered a ping
        self.up_at = 0.0                    # when it last became so
        self.ws: WebSocket | None = None
        self.drop_now = asyncio.Event()
        self.connects = 0

    async def run(self, stop: asyncio.Event) -> None:
        attempt = 0
        while not stop.is_set():
            try:
                self.ws = await open_socket(f"/ws/threads/{self.thread_id}/", self.cookie)
                self.connects += 1
                await self.follow(stop)
                attempt = 0
            except (TimeoutError, Closed, asyncio.IncompleteReadError, ConnectionError,
                    OSError):
                pass
            finally:
                self.up = False
                if self.ws:
                    self.ws.abort()
                self.ws = None
            if stop.is_set():
                return
            # As the browser: a random first delay spreads a storm, then a jittered backoff.
            delay = random.uniform(0, 1) if attempt == 0 else \
                min(30.0, 0.5 * 2 ** attempt) * random.uniform(0.5, 1.5)
            attempt += 1
            await asyncio.sleep(delay)

    async def follow(self, stop: asyncio.Event) -> None:
        ws = self.ws
        hello = await asyncio.wait_for(ws.event(), 15)
        if hello.get("type") != "hello":
            raise ConnectionError(f"expected hello, got {hello}")
        if self.last_seq is None:
            self.last_seq = hello["seq"]
        ws.send_json({"type": "resume", "last_seq": self.last_seq})
        ws.send_json({"type": "ping"})
        self.drop_now.clear()
        ahead_since: dict[int, float] = {}
        receive = asyncio.ensure_future(ws.receive())
        dropper = asyncio.ensure_future(self.drop_now.wait())
        next_ping = now() + PING_SECONDS
        try:
            while not stop.is_set():
                # FIRST_COMPLETED: each frame is handled as it arrives, as a browser does. (The
                # default, ALL_COMPLETED, waited for the drop that never comes until the tick ran
                # out: one frame a second per reader, and a lag that grew all phase long.)
                done, _ = await asyncio.wait(
                    {receive, dropper}, return_when=asyncio.FIRST_COMPLETED,
                    timeout=max(0.05, min(TICK_SECONDS, next_ping - now())))
                if self.drop_now.is_set():
                    return  # the storm: gone without a close, as a network drop
                if now() >= next_ping:
                    ws.send_json({"type": "ping"})
                    next_ping = now() + PING_SECONDS
                for seq, since in list(ahead_since.items()):
                    if self.last_seq >= seq:
                        del ahead_since[seq]
                    elif now() - since > 3:
                        return  # the server is ahead and tells us nothing: reconnect, resume
                if receive not in done:
                    continue
                raw = receive.result()
                receive = asyncio.ensure_future(ws.receive())
                if raw.startswith(PRESENCE):
                    continue
                self.handle(json.loads(raw), ahead_since)
        finally:
            receive.cancel()
            dropper.cancel()

    def handle(self, message: dict, ahead_since: dict) -> None:
        kind = message.get("type")
        if kind == "pong":
            if not self.up:
                self.up_at = now()
            self.up = True
            seq = message.get("seq")
            if isinstance(seq, int) and seq > self.last_seq:
                ahead_since.setdefault(seq, now())
        elif kind == "resync":
            self.resynced.append((self.last_seq, message["seq"]))
            self.last_seq = message["seq"]
        elif "seq" in message and kind != "hello":
            if message["seq"] <= self.last_seq:
                self.duplicates += 1
                return
            self.last_seq = message["seq"]
            if kind == "post.created" and self.checks_posts:
                self.posts.append(message["post_id"])
                self.seq_of[message["post_id"]] = message["seq"]
                self.received_at[message["post_id"]] = now()

    def has(self, post_id: int, seq: int | None) -> bool:
        if post_id in self.seq_of:
            return True
        return seq is not None and any(a < seq <= b for a, b in self.resynced)


class ReaderLoop(threading.Thread):
    """An event loop of its own for a share of the sockets (two of them use both cores)."""

    def __init__(self, name: str):
        super().__init__(daemon=True, name=name)
        self.loop = asyncio.new_event_loop()
        self.stop: asyncio.Event | None = None
        self.followers: list[Follower] = []
        self.ready = threading.Event()

    def run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.stop = asyncio.Event()
        self.ready.set()
        self.loop.run_forever()

    def add(self, follower: Follower) -> None:
        self.followers.append(follower)
        asyncio.run_coroutine_threadsafe(follower.run(self.stop), self.loop)

    def drop_all(self) -> None:
        for follower in self.followers:
            self.loop.call_soon_threadsafe(follower.drop_now.set)

    def finish(self) -> None:
        self.loop.call_soon_threadsafe(self.stop.set)


# --- phases ----------------------------------------------------------------------------------

class Phase:
    def __init__(self, name: str):
        self.name = name
        self.lock = threading.Lock()
        self.written: dict[int, str] = {}   # post id -> idempotency key
        self.written_at: dict[int, float] = {}
        self.abandoned: list[str] = []
        self.statuses: list[tuple[float, int | None]] = []
        self.fault_at = self.fault_done = None
        self.down: tuple[float, float] | None = None

    def accepted(self, post_id: int, key: str) -> None:
        with self.lock:
            self.written[post_id] = key
            self.written_at[post_id] = now()

    def gave_up(self, key: str) -> None:
        with self.lock:
            self.abandoned.append(key)


class Bench:
    def __init__(self, info: dict):
        self.info = info
        self.phase = Phase("start")
        self.writing = threading.Event()
        self.finished = False
        self.database = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        self.loops = [ReaderLoop("readers-1"), ReaderLoop("readers-2")]
        for loop in self.loops:
            loop.start()
            loop.ready.wait()

    def http(self, status: int | None) -> None:
        self.phase.statuses.append((now(), status))

    def pid_of(self, name: str) -> int:
        for line in (PROD_DIR / "pids").read_text().splitlines():
            pid, _sep, process = line.partition(" ")
            if process.strip() == name:
                return int(pid)
        raise SystemExit(f"bench/faults: no {name} in {PROD_DIR / 'pids'}")

    def followers(self, checks_posts: bool | None = None) -> list[Follower]:
        return [f for loop in self.loops for f in loop.followers
                if checks_posts is None or f.checks_posts == checks_posts]

    def db(self, sql: str, params=()) -> list[tuple]:
        for _ in range(60):
            try:
                return self.database.execute(sql, params).fetchall()
            except psycopg.OperationalError:
                time.sleep(1)
                with contextlib.suppress(Exception):
                    self.database.close()
                with contextlib.suppress(psycopg.OperationalError):
                    self.database = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
        raise SystemExit("bench/faults: the database did not come back")

    def seq_of_posts(self, ids) -> dict[int, int]:
        """The seq of each post's post.created event (the database is the truth)."""
        rows = self.db("SELECT id FROM forums_post WHERE id = ANY(%s)", (list(ids),))
        present = {row[0] for row in rows}
        seqs: dict[int, int] = {}
        for follower in self.followers(True):
            for post_id, seq in follower.seq_of.items():
                if post_id in present:
                    seqs.setdefault(post_id, seq)
        return {post_id: seqs.get(post_id) for post_id in present}

    def caught_up(self, before: float | None = None) -> bool:
        """Every reader connected, and with every post written (until `before`, if given)."""
        phase = self.phase
        with phase.lock:
            wanted = [post_id for post_id, at in phase.written_at.items()
                      if before is None or at <= before]
        followers = self.followers()
        if not all(f.up for f in followers):
            if os.environ.get("FAULTS_DEBUG"):
                log(f"down: {sum(1 for f in followers if not f.up)}")
            return False
        for follower in self.followers(True):
            if any(post_id not in follower.seq_of for post_id in wanted):
                if os.environ.get("FAULTS_DEBUG"):
                    log(f"behind: {[p for p in wanted if p not in follower.seq_of]}")
                return False
        return True

    def behind(self, follower: Follower) -> bool:
        with self.phase.lock:
            wanted = list(self.phase.written)
        return any(post_id not in follower.seq_of for post_id in wanted)

    def wait_until(self, condition, seconds: float) -> float | None:
        started = now()
        while now() - started < seconds:
            if condition():
                return now()
            time.sleep(0.2)
        return None

    # --- the faults ---------------------------------------------------------------------

    def redis(self, *args: str) -> None:
        subprocess.run(["redis-cli", "-p", os.environ["REDIS_PORT"], *args],
                       check=False, capture_output=True)

    def redis_restart(self) -> None:
        self.redis("shutdown", "nosave")
        time.sleep(1)
        subprocess.run(["redis-server", "--port", os.environ["REDIS_PORT"], "--bind",
                        "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes",
                        "--dir", str(FAULTS_DIR), "--pidfile", str(FAULTS_DIR / "redis.pid"),
                        "--logfile", str(FAULTS_DIR / "redis.log")], check=True)

    def postgres_restart(self) -> None:
        command = [os.environ["PG_CTL"], "-D", os.environ["PGDATA"], "-m", "fast", "-w",
                   "restart", "-l", str(Path(os.environ["PGDATA"]) / "server.log")]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        down = now()
        subprocess.run(command, check=True, capture_output=True)
        self.phase.down = (down, now())

    def inject(self, name: str) -> None:
        if name == "none":
            return  # the baseline: the same traffic, no fault
        if name == "redis-restart":
            self.redis_restart()
        elif name == "redis-flushall":
            self.redis("FLUSHALL")
        elif name == "kill-daphne":
            os.kill(self.pid_of("daphne-1"), 9)
        elif name == "kill-worker":
            os.kill(self.pid_of("worker-1"), 9)
        elif name == "postgres-restart":
            self.postgres_restart()
        elif name == "storm":
            for loop in self.loops:
                loop.drop_all()

    def run_phase(self, name: str) -> dict:
        if self.wait_until(self.caught_up, 15) is None:
            # A fault that left readers connected but deaf must not count against the next
            # one: those readers start over, as a person reloading the page would. Sockets
            # still connecting are left to it.
            deaf = [f for f in self.followers(True) if f.up and self.behind(f)]
            log(f"{name}: {len(deaf)} readers connected but behind reconnect first")
            for loop in self.loops:
                for follower in deaf:
                    if follower in loop.followers:
                        loop.loop.call_soon_threadsafe(follower.drop_now.set)
            if self.wait_until(self.caught_up, RECOVERY_SECONDS) is None:
                log(f"{name}: still not every reader up and current before the fault")
        phase = self.phase = Phase(name)
        log(f"{name}: writing, fault in 3 s")
        self.writing.set()
        time.sleep(3)
        phase.fault_at = now()
        self.inject(name)
        phase.fault_done = now()
        # Recovered: from when every reader was connected and had every post written until a
        # second before, without a break until the end of the phase (so a fault that does no
        # harm recovers at once, not when the phase is over).
        current_since = None
        while now() - phase.fault_at < PHASE_SECONDS:
            current = self.caught_up(before=now() - 1)
            current_since = (current_since or now()) if current else None
            time.sleep(0.2)
        self.writing.clear()
        time.sleep(0.5)  # a writer's request under way finishes
        with phase.lock:
            in_flight = len(phase.written)
        recovered_at = self.wait_until(self.caught_up, RECOVERY_SECONDS)
        time.sleep(1)
        with phase.lock:
            if len(phase.written) != in_flight:
                recovered_at = self.wait_until(self.caught_up, RECOVERY_SECONDS)
        if recovered_at is not None and current_since is not None:
            recovered_at = current_since
        return self.measure(phase, recovered_at)

    def measure(self, phase: Phase, recovered_at: float | None) -> dict:
        with phase.lock:
            written = dict(phase.written)
            abandoned = list(phase.abandoned)
        in_db = self.seq_of_posts(written)
        # A reply given up on may still have been written (its answer was what got lost).
        saved = {row[0] for row in self.db(
            "SELECT idempotency_key FROM forums_post WHERE idempotency_key = ANY(%s)",
            (abandoned,))}
        lost = len(set(written) - set(in_db)) + len(set(abandoned) - saved)
        missing = 0
        post_readers = self.followers(True)
        for post_id, seq in in_db.items():
            missing += sum(1 for f in post_readers if not f.has(post_id, seq))
        waiting = self.db(
            "SELECT count(*) FROM django_tasks_database_dbtaskresult "
            "WHERE status IN ('READY', 'RUNNING') "
            "AND (run_after IS NULL OR run_after <= now())")[0][0]
        duplicates = sum(f.duplicates for f in self.followers())
        for follower in self.followers():
            follower.duplicates = 0
        fivexx = [t for t, status in phase.statuses if status is not None and status >= 500]
        refused = sum(1 for _t, status in phase.statuses if status is None)
        fivexx_text = str(len(fivexx)) + (f" + {refused} refused" if refused else "")
        if phase.down:
            outside = [t for t in fivexx if not phase.down[0] <= t <= phase.down[1]]
            seconds = phase.down[1] - phase.down[0]
            fivexx_text += f" ({len(outside)} outside the {seconds:.1f} s down)"
        all_followers = self.followers()
        up = sum(1 for f in all_followers if f.up)
        lags = sorted(f.received_at[p] - phase.written_at[p] for f in post_readers
                      for p in in_db if p in f.received_at and p in phase.written_at)
        lag = f"{lags[len(lags) // 2]:.2f} s / {lags[-1]:.2f} s" if lags else "-"
        return {
            "fault": phase.name, "written": len(written), "lost": lost,
            "missing": missing + waiting, "duplicates": duplicates, "5xx": fivexx_text,
            "recovered": f"{up}/{len(all_followers)}",
            "time": f"{recovered_at - phase.fault_at:.1f} s" if recovered_at else "-",
            "back": self.sockets_back(phase),
            "requests": len(phase.statuses), "lag": lag,
        }

    def sockets_back(self, phase: Phase) -> str:
        """From the fault until the last socket it dropped was connected again."""
        followers = self.followers()
        if not all(f.up for f in followers):
            return "-"
        again = [f.up_at - phase.fault_at for f in followers if f.up_at > phase.fault_at]
        return f"{max(again):.1f} s ({len(again)})" if again else "none dropped"

    def start_readers(self, count: int, thread_ids: list[int], sessions: list[str],
                      per_user: int, checks_posts: bool) -> None:
        name = self.info["session_cookie"]
        for n in range(count):
            follower = Follower(thread_ids[n % len(thread_ids)],
                                f"{name}={sessions[n // per_user]}", checks_posts)
            self.loops[n % 2].add(follower)
            if n % 50 == 49:
                time.sleep(0.5)  # a gradual start (100 a second); the storm comes later


def main(argv: list[str]) -> None:
    info = json.loads(Path(argv[1]).read_text())
    out = Path(argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    bench = Bench(info)
    sessions = info["sessions"]
    thread_id = info["fanout_thread"]
    writer_sessions = sessions[READERS:READERS + WRITERS]
    bench.start_readers(READERS, [thread_id], sessions[:READERS], 1, True)
    writers = [Writer(i + 1, session, info["session_cookie"], thread_id,
                      f"live{READERS + 1 + (i + 1) % WRITERS:04d}", bench)
               for i, session in enumerate(writer_sessions)]
    for writer in writers:
        writer.start()
    started = now()
    rows = []
    for name in FAULTS:
        if name == "storm":
            storm_sessions = sessions[READERS + WRITERS:]
            log(f"storm: opening {STORM_SOCKETS} sockets")
            bench.start_readers(STORM_SOCKETS, info["idle_threads"], storm_sessions, 5, False)
        row = bench.run_phase(name)
        log(f"{name}: {row}")
        rows.append(row)
    bench.finished = True
    for loop in bench.loops:
        loop.finish()
    header = ("| fault | posts written | posts lost | deliveries missing | duplicates | HTTP 5xx "
              "| readers recovered | time to recover | sockets back | delivery lag p50 / max |")
    lines = [header, "|" + "---|" * 10]
    for row in rows:
        lines.append(f"| {row['fault']} | {row['written']} | {row['lost']} | {row['missing']} "
                     f"| {row['duplicates']} | {row['5xx']} | {row['recovered']} | {row['time']} "
                     f"| {row['back']} | {row['lag']} |")
    lines.append("")
    lines.append(f"{READERS} readers following one thread through nginx ({PROCESSES_TEXT()}), "
                 f"{WRITERS} writers (a page view and a reply each, every {WRITE_PAUSE} s), "
                 f"readers ping every {PING_SECONDS:.0f} s; storm: {STORM_SOCKETS} more sockets, "
                 f"then all dropped at once. {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
                 f"{now() - started:.0f} s, load average {os.getloadavg()[0]:.1f}.")
    out.write_text("\n".join(lines) + "\n")


def PROCESSES_TEXT() -> str:  # noqa: N802
    return f"{os.environ.get('PROCESSES', '2')} daphne processes"


if __name__ == "__main__":
    main(sys.argv)
