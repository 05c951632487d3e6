"""The writer of the live-thread benchmark: replies through forums.services.create_post, the
function the reply form calls, so each one is stored, numbered and announced after commit
exactly as on the site (run by bench/live_clients.py).

  live_post.py steady THREAD_ID POSTER_ID COUNT RATE OUT_JSON
      COUNT replies at RATE per second on a fixed schedule (a late one does not shift the rest);
      writes [{"post_id", "committed"}], committed = time.monotonic() right after COMMIT, before
      the announcement is sent. CLOCK_MONOTONIC is one clock for every process on the machine,
      so the readers' receipt times compare with it directly.
  live_post.py bulk THREAD_ID POSTER_ID COUNT
      COUNT replies as fast as they go (the posts a disconnected reader will miss).

Environment: as the servers (DJANGO_SETTINGS_MODULE, DATABASE_URL, REDIS_URL, SECRET_KEY).
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
# Seeded members post fast and are new: the posting limits and the new-member guard would hold
# or refuse what the benchmark measures (community/settings.py).
for _name in ("FORUM_POSTS_PER_MINUTE", "FORUM_NEW_ACCOUNT_THREADS_PER_HOUR",
              "MODERATION_NEW_MEMBER_GUARD"):
    os.environ.setdefault(_name, "0")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from accounts.models import User  # noqa: E402
from forums import services  # noqa: E402
from forums.models import Thread  # noqa: E402


def body(n: int) -> str:
    return (f"Bericht {n} uit de live-benchmark. Bij ons werkte **een vaste contactpersoon** "
            "goed; het bestuurlijk overleg hield iedereen aan boord.\n\n- kaart van het gebied\n"
            "- afspraken over de kosten\n\nZie [de handreiking]"
            "(https://www.vitaalplatteland.nl/handreiking).")


def reply(thread_id: int, poster: User, n: int) -> tuple[int, float]:
    """One reply; its post id and the moment its transaction committed."""
    committed = []
    with transaction.atomic():
        # Registered before create_post's own callbacks (the announcement among them), so it
        # runs first once COMMIT has returned: the commit time, not the send time.
        transaction.on_commit(lambda: committed.append(time.monotonic()))
        post = services.create_post(actor=poster, thread=Thread(pk=thread_id), body=body(n))
    return post.pk, committed[0]


def main(argv: list[str]) -> None:
    mode, thread_id, poster_id, count = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    poster = User.objects.get(pk=poster_id)
    if mode == "bulk":
        for n in range(count):
            reply(thread_id, poster, n + 1)
        return
    rate, out = float(argv[4]), Path(argv[5])
    posts = []
    started = time.monotonic()
    for n in range(count):
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        post_id, committed = reply(thread_id, poster, n + 1)
        posts.append({"post_id": post_id, "committed": committed})
    out.write_text(json.dumps(posts))


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] not in ("steady", "bulk"):
        raise SystemExit(__doc__)
    main(sys.argv[1:])
