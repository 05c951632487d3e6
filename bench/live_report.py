"""The Markdown table of bench/live from the measurements' JSON (run by bench/live).

  live_report.py TMP_DIR HEADER LOAD STARTED_EPOCH SERVER_ERRORS
"""

import json
import sys
import time
from pathlib import Path


def cpu_text(cpu: dict, unit: str) -> str:
    parts = [f"{group} {value:.1f}{unit}" for group, value in cpu.items()
             if value >= 0.05 or group in ("daphne", "postgres")]
    return " · ".join(parts)


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(argv: list[str]) -> None:
    tmp, header, load, started, server_errors = Path(argv[0]), argv[1], argv[2], argv[3], argv[4]
    idle = json.loads((tmp / "idle.json").read_text())
    fan = json.loads((tmp / "fanout.json").read_text())
    catch = json.loads((tmp / "catchup.json").read_text())

    fan_errors = fan["missing"] + fan["duplicates"] + fan["out_of_order"] + fan["closed"]
    fan_ok = fan_errors == 0 and fan["p99_ms"] is not None and fan["p99_ms"] < 250
    idle_ok = idle["kib_per_socket"] < 100 and idle["still_open"] == idle["sockets"]
    catch_ok = not catch["problems"] and catch["max_ms"] < 1000
    idle_cpu_ms = {k: v / idle["idle_seconds"] for k, v in idle["cpu_ms"].items()}

    rows = [
        ("measurement", "result", "target", "met?", "missing / duplicate / errors",
         "server CPU"),
        ("---", "---", "---", "---", "---:", "---"),
        (f"fan-out: {fan['sockets']} logged-in readers of one thread on {fan['processes']} "
         f"daphne processes, {fan['posts']} replies at {fan['rate']:g}/s, commit → receipt",
         f"p50 {fan['p50_ms']} ms · p95 {fan['p95_ms']} ms · p99 {fan['p99_ms']} ms "
         f"(max {fan['max_ms']})",
         "p99 < 250 ms, 0 missing or duplicate", met(fan_ok),
         f"{fan['missing']} / {fan['duplicates']} / {fan['out_of_order'] + fan['closed']}",
         cpu_text(fan["cpu_ms_per_post"], " ms") + " per reply"),
        (f"idle: {idle['sockets']} logged-in sockets on one daphne process "
         f"({idle['threads']} threads, {idle['users']} users, pinging every 25 s)",
         f"{idle['kib_per_socket']} KiB per socket (RSS {idle['rss_before_kib'] // 1024} → "
         f"{idle['rss_after_kib'] // 1024} MiB); daphne CPU at idle "
         f"{idle['daphne_cpu_percent']} % of a core",
         "< 100 KiB per socket", met(idle_ok),
         f"{idle['sockets'] - idle['still_open']} closed"
         + (" (" + ", ".join(f"{n} × {code}" for code, n
                              in sorted(idle.get("close_codes", {}).items())) + ")"
            if idle.get("close_codes") else ""),
         cpu_text(idle_cpu_ms, " ms") + " per second"),
        (f"catch-up: reconnect after missing {catch['missed']} replies, until current "
         f"(median of {catch['rounds']})",
         f"{catch['median_ms']} ms (first {catch['first_ms']}, max {catch['max_ms']}; "
         f"{catch['kib']} KiB replayed)",
         "< 1 s", met(catch_ok), "; ".join(catch["problems"]) or "0", "—"),
    ]
    lines = [f"**Werkplaats live bench** — {header}", ""]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    minutes, seconds = divmod(int(time.time()) - int(started), 60)
    lines += [
        "",
        f"Connecting took {idle['connect_seconds']} s for the {idle['sockets']} idle sockets and "
        f"{fan['connect_seconds']} s for the {fan['sockets']} readers (20 handshakes at a time). "
        f"Deliveries measured: {fan['deliveries']} of {fan['expected']}. The clients' own CPU: "
        f"{fan['client_cpu_ms_per_post']} ms per reply during the fan-out, "
        f"{idle['client_cpu_percent']} % of a core at idle (one asyncio process). "
        f"Errors in the servers' logs: {server_errors}. The whole run took {minutes} min "
        f"{seconds} s.",
        "",
        f"{load} Load average at the start of each measurement: idle {idle['load']}, "
        f"fan-out {fan['load']}, catch-up {catch['load']}.",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
