"""CPU time the serving processes spend per request: independent of other load on the machine,
which the wall-clock figures from wrk are not (run by bench/run).

  cpustat.py snap PIDS_FILE DBNAME OUT      write {group: CPU ticks} for the site's processes
  cpustat.py diff BEFORE AFTER REQUESTS     print "daphne 11.6 · postgres 2.2 · ..." in ms/request

Groups: daphne and gunicorn (var/prod/pids; gunicorn's master and its worker processes),
worker (the task worker), nginx (master and its workers),
postgres (backends connected to DBNAME), redis (redis-server).
"""

import json
import os
import sys
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")
ORDER = ["daphne", "gunicorn", "postgres", "redis", "nginx", "worker"]


def _stat(pid: str) -> tuple[int, int] | None:
    """(parent pid, utime + stime ticks) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])


def snap(pids_file: str, dbname: str) -> dict[str, int]:
    site = {}
    for line in Path(pids_file).read_text().splitlines():
        pid, _sep, name = line.strip().partition(" ")
        if pid:
            site[pid] = name.split("-")[0]
    totals = dict.fromkeys(ORDER, 0)
    for pid in filter(str.isdigit, os.listdir("/proc")):
        stat = _stat(pid)
        if stat is None:
            continue
        parent, ticks = stat
        # nginx and gunicorn: the master is in the pids file, its workers are its children.
        group = site.get(pid) or (site.get(str(parent)) in ("nginx", "gunicorn")
                                  and site.get(str(parent)))
        if not group:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
                cmdline = cmdline.replace("\0", " ")
            except OSError:
                continue
            if cmdline.startswith("postgres:") and f" {dbname} " in cmdline:
                group = "postgres"
            elif cmdline.startswith("redis-server") or "/redis-server" in cmdline.split(" ")[0]:
                group = "redis"
        if group in totals:
            totals[group] += ticks
    return totals


def diff(before: dict, after: dict, requests: int) -> str:
    parts = []
    for group in ORDER:
        ms = (after.get(group, 0) - before.get(group, 0)) * 1000 / HZ / max(requests, 1)
        if ms >= 0.05 or group in ("daphne", "postgres"):
            parts.append(f"{group} {ms:.1f}")
    return " · ".join(parts)


def main(argv: list[str]) -> None:
    if argv[:1] == ["snap"] and len(argv) == 4:
        Path(argv[3]).write_text(json.dumps(snap(argv[1], argv[2])))
    elif argv[:1] == ["diff"] and len(argv) == 4:
        print(diff(json.loads(Path(argv[1]).read_text()), json.loads(Path(argv[2]).read_text()),
                   int(argv[3])))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
