"""Turn the wrk outputs and the reply timings into the Markdown table (run by bench/run).

  report.py ROWS_TSV REPLIES_JSON HEADER SEED_SECONDS STARTED_EPOCH LOAD_LINE [RENDER_JSON]

The last column is the CPU time the serving processes spent per request during the measured
run (bench/cpustat.py): unlike the wall-clock figures it hardly moves when other work shares
the machine, so it shows where the time goes and whether a miss is the code's or the machine's.
"""

import json
import re
import sys
import time
from pathlib import Path

# measurement -> (minimum req/s, maximum p99 ms), from the issue.
TARGETS = {
    "thread first page, anonymous": (150, 150),
    "thread first page, logged in": (100, 200),
}
REPLY_TARGET_MS = 20
RENDER_TARGET_MS = 200
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+([\d.]+\w+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+\w+)", output, re.M)
    if not (rps and p50 and p99):
        raise SystemExit(f"bench: cannot read this wrk output:\n{output}")
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       output)
    check = re.search(r"^BENCH non2xx=(\d+) wrong=(\d+) statuses=(\S*)", output, re.M)
    return {
        "rps": float(rps.group(1)), "p50": to_ms(p50.group(1)), "p99": to_ms(p99.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "non2xx": int(check.group(1)) if check else 0,
        "wrong": int(check.group(2)) if check else 0,
        "statuses": check.group(3) if check else "",
    }


def render_row(render_path: str) -> str:
    """The worst case of bench/render.py: median wall time of the real renderer."""
    render = json.loads(Path(render_path).read_text())
    if "error" in render:
        return (f"| Markdown render, pathological posts | — | — | — | < {RENDER_TARGET_MS} ms "
                f"| **{render['error']}** | — | — |")
    worst, cases = render["worst"], render["cases"]
    case = cases[worst]
    met = "yes" if case["wall_ms"] < RENDER_TARGET_MS else "**no**"
    slowest_cpu = max(c["cpu_ms"] for c in cases.values())
    return (f"| Markdown render, worst of {len(cases)} pathological posts (\"{worst}\", "
            f"{case['chars']:,} characters; median of {render['repeats']}, "
            f"`bench/render.py`) | — | {case['wall_ms']:.1f} | — "
            f"| worst < {RENDER_TARGET_MS} ms | {met} | 0 "
            f"| renderer {case['cpu_ms']:.1f} (slowest case by CPU: {slowest_cpu:.1f}) |")


def main(rows_path: str, replies_path: str, header: str, seed_seconds: str,
         started: str, load: str, render_path: str = "") -> None:
    lines = [
        f"**Werkplaats bench** — {header}",
        "",
        "| measurement | req/s | p50 ms | p99 ms | target | met? | non-2xx / errors "
        "| server CPU ms/request |",
        "| --- | ---: | ---: | ---: | --- | --- | ---: | --- |",
    ]
    for row in Path(rows_path).read_text().splitlines():
        name, url, path, cpu = row.split("\t")
        r = parse_wrk(Path(path).read_text())
        problems = r["non2xx"] + r["socket_errors"] + r["wrong"]
        target, met = "—", "—"
        if name in TARGETS:
            min_rps, max_p99 = TARGETS[name]
            target = f"≥ {min_rps} req/s, p99 < {max_p99} ms"
            ok = r["rps"] >= min_rps and r["p99"] < max_p99 and not problems
            met = "yes" if ok else "**no**"
        detail = str(r["non2xx"])
        if r["statuses"]:
            detail += f" ({r['statuses']})"
        if r["socket_errors"]:
            detail += f", {r['socket_errors']} socket"
        if r["wrong"]:
            detail += f", {r['wrong']} wrong page"
        lines.append(f"| {name} (`{url}`) | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} "
                     f"| {target} | {met} | {detail} | {cpu} |")
    replies = json.loads(Path(replies_path).read_text())
    elapsed = int(time.time() - int(started))
    footer = (f"Seeding took {seed_seconds} s; the whole run {elapsed // 60} min {elapsed % 60} s. "
              f"{load}")
    if "error" in replies:
        lines.append(f"| reply creation, POST with CSRF → 302 | — | — | — "
                     f"| median < {REPLY_TARGET_MS} ms | **{replies['error']}** | — | — |")
        if render_path:
            lines.append(render_row(render_path))
        print("\n".join([*lines, "", footer]))
        return
    met = "yes" if replies["median_ms"] < REPLY_TARGET_MS else "**no**"
    lines.append(
        f"| reply creation, POST with CSRF → 302 (median of {replies['count']} sequential, "
        f"after {replies['warmup']} warm-up) | — | {replies['median_ms']:.1f} "
        f"| p95 {replies['p95_ms']:.1f} | median < {REPLY_TARGET_MS} ms | {met} | 0 "
        f"| {replies.get('cpu', '—')} (per reply: page GET + POST) |")
    if render_path:
        lines.append(render_row(render_path))
    lines += [
        "",
        f"Reply creation: median {replies['median_ms']:.1f} ms, p95 {replies['p95_ms']:.1f} ms, "
        f"min {replies['min_ms']:.1f} ms, max {replies['max_ms']:.1f} ms. {footer}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main(*sys.argv[1:8])
