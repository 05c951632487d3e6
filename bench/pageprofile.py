"""Where does one page's time go? Runs requests in-process (Django's test client, the served
site's settings and database) and prints timing, SQL queries and a cProfile summary.

  DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/pageprofile.py URL [COOKIE] [N]

COOKIE is a "sessionid=...; csrftoken=..." header value (bench/client.py login prints one).
Use against a site started by `KEEP=1 make bench` (same DATABASE_URL and REDIS_URL).
"""

import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
os.environ.setdefault("LOCAL_HTTP", "1")
os.environ.setdefault("STATIC_MANIFEST", "1")
os.environ.setdefault("STATIC_ROOT", str(ROOT / "var/prod/static"))
os.environ.setdefault("TASKS_IMMEDIATE", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    url = sys.argv[1]
    cookie = sys.argv[2] if len(sys.argv) > 2 else ""
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    client = Client(HTTP_HOST="127.0.0.1")
    for part in filter(None, (p.strip() for p in cookie.split(";"))):
        name, _sep, value = part.partition("=")
        client.cookies[name] = value
    response = client.get(url)
    print(f"{url}: status {response.status_code}, {len(response.content)} bytes")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    print(f"{len(queries)} SQL queries, {sum(float(q['time']) for q in queries) * 1000:.1f} ms "
          "in the database (as Django measures it)")
    shapes = Counter(q["sql"][:110] for q in queries)
    for sql, count in shapes.most_common(40):
        print(f"  {count:3d} × {sql}")
    times, cpu = [], []
    for _ in range(n):
        started, started_cpu = time.perf_counter(), time.process_time()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(f"in-process: median {statistics.median(times):.1f} ms wall, "
          f"{statistics.median(cpu):.1f} ms CPU of this process, min {min(times):.1f} ms wall, "
          f"over {n} requests")
    profiler = cProfile.Profile(time.process_time)  # CPU time: other load does not count
    profiler.enable()
    for _ in range(n):
        client.get(url)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(60)
    print(out.getvalue()[:12000])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue()[:8000])


if __name__ == "__main__":
    main()
