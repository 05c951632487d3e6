"""Notification fan-out under the production task path (bench/notifications runs this).

Post creation through the real service (`forums.services.create_post`: what the reply form's
POST does after parsing) on PostgreSQL with the database task queue, while a real
`task_worker` process (at nice 10, as docs/deploy.md runs it) works the queue; timed per post,
for threads with 0, 100 and 1,000 watchers. Then, for the 1,000-watcher thread, the time from
a post's commit until every watcher has their notification row and every watcher's doorbell
has arrived on the channel layer (channels-redis; one channel per watcher joined to
`notifications.<id>`, as the bell's socket does, and counted online as an open socket is:
the worst case, everyone is online).

Prints JSON with the figures; bench/notifications turns it into the table.
"""

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
# Seeded members post fast and are new: the posting limits and the new-member guard would hold
# or refuse what the benchmark measures (community/settings.py).
for _name in ("FORUM_POSTS_PER_MINUTE", "FORUM_NEW_ACCOUNT_THREADS_PER_HOUR",
              "MODERATION_NEW_MEMBER_GUARD"):
    os.environ.setdefault(_name, "0")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django  # noqa: E402

django.setup()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Profile, User  # noqa: E402
from accounts.validators import display_name_key  # noqa: E402
from forums import services as forum_services  # noqa: E402
from forums.models import ThreadSubscription  # noqa: E402
from live import broadcast  # noqa: E402
from notifications.models import Notification  # noqa: E402
from regions.models import Membership, Region  # noqa: E402

POSTS = int(os.environ.get("POSTS", "30"))
WARMUP = 5
GAP = float(os.environ.get("GAP", "0.8"))  # seconds between posts: a busy, steady forum
SIZES = (0, 100, 1000)


def seed():
    region = Region.objects.create(slug="bench-meldingen", name="Bench meldingen",
                                   provinces=["Overijssel"], theme="Bench")
    forums = forum_services.create_region_forums(region=region)
    public = forums[2]
    password = make_password(None)  # unusable: nobody logs in here
    users = User.objects.bulk_create([
        User(username=f"kijker{n}", email=f"kijker{n}@bench.example", password=password)
        for n in range(max(SIZES) + 2)])
    Profile.objects.bulk_create([
        Profile(user=u, display_name=f"Kijker {n}", display_name_key=display_name_key(
            f"Kijker {n}")) for n, u in enumerate(users)])
    Membership.objects.bulk_create([Membership(user=u, region=region) for u in users])
    author, starter, watchers = users[0], users[1], users[2:]
    threads = {}
    for size in SIZES:
        thread = forum_services.create_thread(actor=starter, forum=public,
                                              title=f"Draad met {size} volgers", body="Start")
        ThreadSubscription.objects.filter(thread=thread).delete()  # the starter: not a watcher
        ThreadSubscription.objects.bulk_create([
            ThreadSubscription(user=w, thread=thread) for w in watchers[:size]])
        threads[size] = thread
    return author, threads, watchers


def wait_for_queue(timeout=120):
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not DBTaskResult.objects.filter(
                status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]).exists():
            return
        time.sleep(0.05)
    raise SystemExit("the task queue did not drain")


def post_latencies(author, thread):
    timings = []
    for n in range(POSTS + WARMUP):
        started = time.perf_counter()
        forum_services.create_post(actor=author, thread=thread, body=f"Bericht {n} in de bench")
        timings.append((time.perf_counter() - started) * 1000)
        time.sleep(GAP)
    measured = sorted(timings[WARMUP:])
    return {"p50": statistics.median(measured),
            "p95": measured[max(0, int(round(0.95 * len(measured))) - 1)],
            "n": len(measured)}


async def fan_out_time(author, thread, watchers):
    from live import sockets

    layer = get_channel_layer()
    channels = {}
    for watcher in watchers:
        await sync_to_async(sockets.store().claim)(watcher.pk, f"bench-{watcher.pk}", 10)
        channel = await layer.new_channel()
        await layer.group_add(broadcast.notification_group(watcher.pk), channel)
        channels[watcher.pk] = channel
    await sync_to_async(wait_for_queue)()
    # Read the notifications first: the next post starts new rows, not counts on old ones.
    await sync_to_async(lambda: Notification.objects.filter(thread=thread).update(
        read_at=django.utils.timezone.now()))()

    pushes_done = {}

    async def receive(uid, channel):
        message = await layer.receive(channel)
        assert message["type"] == "notification.new"
        pushes_done[uid] = time.perf_counter()

    receivers = [asyncio.ensure_future(receive(uid, ch)) for uid, ch in channels.items()]
    await asyncio.sleep(0.2)
    committed = time.perf_counter()
    post = await sync_to_async(forum_services.create_post)(
        actor=author, thread=thread, body="De laatste, voor de stopwatch")
    committed_done = time.perf_counter()
    key = f"post:{post.pk}"

    def rows():
        return Notification.objects.filter(thread=thread, read_at__isnull=True,
                                           source_key__endswith=key).count()

    rows_at = None
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        if rows_at is None and await sync_to_async(rows)() >= len(watchers):
            rows_at = time.perf_counter()
        if rows_at is not None and len(pushes_done) == len(watchers):
            break
        await asyncio.sleep(0.01)
    for task in receivers:
        task.cancel()
    last_push = max(pushes_done.values()) if pushes_done else None
    return {
        "watchers": len(watchers),
        "request_ms": (committed_done - committed) * 1000,
        "rows_s": (rows_at - committed_done) if rows_at else None,
        "pushes": len(pushes_done),
        "pushes_s": (last_push - committed_done) if last_push else None,
    }


def main():
    author, threads, watchers = seed()
    worker = subprocess.Popen(  # noqa: S603
        ["nice", "-n", "10", sys.executable, "manage.py", "task_worker",
         "--worker-id", "bench-notify", "--interval", "0.05", "--no-startup-delay"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_queue()
        latency = {}
        for size, thread in threads.items():
            latency[size] = post_latencies(author, thread)
            wait_for_queue()
        connection.close()
        fan_out = asyncio.run(fan_out_time(author, threads[max(SIZES)], watchers[:max(SIZES)]))
    finally:
        worker.terminate()
        worker.wait(10)
    print(json.dumps({"latency": latency, "fan_out": fan_out}))


if __name__ == "__main__":
    main()
