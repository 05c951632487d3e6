"""Seed the live-thread benchmark (run by bench/live) and write what it needs as JSON.

  live_seed.py OUT_JSON READERS

READERS logged-in members of the region "twente", each with one session (a socket carries its
user's session cookie, as a browser does; a user may hold 10 sockets, so 2,500 sockets need 250
users), a poster, and in the region's public "vragen-en-antwoorden" forum: the fan-out thread,
the catch-up thread and IDLE_THREADS threads for the idle sockets. Everything goes through the
services, as on the site.

Environment: DJANGO_SETTINGS_MODULE, DATABASE_URL, REDIS_URL, SECRET_KEY (as the servers).
"""

import json
import os
import sys
import time
from importlib import import_module
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

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402

from accounts import services as account_services  # noqa: E402
from accounts.models import GovernmentLayer, User  # noqa: E402
from core.session_clock import LAST_ACTIVITY, LOGGED_IN_AT  # noqa: E402
from forums import services  # noqa: E402
from regions.models import Membership, Region, Role  # noqa: E402

REGION_SLUG = "twente"
FORUM_SLUG = "vragen-en-antwoorden"
IDLE_THREADS = 100
BODY = ("Openingsvraag voor de live-benchmark: hoe houden jullie de planning van het "
        "gebiedsprogramma bij, en wie zit er aan tafel?")


def logged_in_session(user: User) -> str:
    """A session as django.contrib.auth.login stores it (and the site's activity stamps)."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[LOGGED_IN_AT] = store[LAST_ACTIVITY] = time.time()
    store.save()
    return store.session_key


def make_member(region: Region, n: int, password: str) -> User:
    username = f"live{n:04d}"
    user = User.objects.create(username=username, email=f"{username}@bench.werkplaats.local",
                               password=password)
    account_services.create_profile(user=user, display_name=f"Lezer {n}",
                                    government_layer=GovernmentLayer.GEMEENTE,
                                    organisation=f"Gemeente {n % 25 + 1}")
    Membership.objects.create(user=user, region=region, role=Role.MEMBER)
    return user


def main() -> None:
    out, readers = Path(sys.argv[1]), int(sys.argv[2])
    started = time.monotonic()
    region = Region.objects.get(slug=REGION_SLUG)
    forum = {f.slug: f for f in services.create_region_forums(region=region)}[FORUM_SLUG]
    password = make_password(None)  # nobody logs in with a password here
    poster = make_member(region, 0, password)
    sessions = [logged_in_session(make_member(region, n, password))
                for n in range(1, readers + 1)]

    def thread(title: str) -> int:
        return services.create_thread(actor=poster, forum=forum, title=title, body=BODY).pk

    info = {
        "poster_id": poster.pk,
        "sessions": sessions,
        "fanout_thread": thread("Live-benchmark: fan-out"),
        "catchup_thread": thread("Live-benchmark: inhalen"),
        "idle_threads": [thread(f"Live-benchmark: rustig {n + 1}") for n in range(IDLE_THREADS)],
        "session_cookie": settings.SESSION_COOKIE_NAME,
    }
    out.write_text(json.dumps(info))
    print(f"live seed: {readers} members with a session, {IDLE_THREADS + 2} threads "
          f"({time.monotonic() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
