"""Render time of pathological Markdown through the real renderer (run by bench/run).

  render.py OUT_JSON [REPEATS]

Each post of the corpus is at most MAX_SOURCE_LENGTH characters (what the forms and services
accept) and is rendered REPEATS times (default 5) with forums.rendering.render_markdown, the
function a reply or an edit calls; the table row shows the worst case's median wall and CPU
time. The corpus: the hostile inputs of the issue (10,000 nested quotes or brackets, runs of
* _ ~ that may or may not open emphasis, 20,000 punctuation characters), huge tables, many
links and mentions, and a long ordinary post for comparison.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")

import django  # noqa: E402

django.setup()

from forums.rendering import MAX_LINES, MAX_SOURCE_LENGTH, line_count, render_markdown  # noqa: E402

ORDINARY = ("## Ervaringen\n\nWe hebben in **Twente** goede ervaringen met *gebiedsprocessen*; "
            "zie [het verslag](https://example.org/verslag) en vraag @anna.\n\n"
            "- een punt\n- nog een punt\n\n> Eerder gezegd: het werkt.\n\n")

CORPUS = {
    "nested quotes": "> " * 10_000,
    "nested quotes, no spaces": ">" * 20_000,
    "nested brackets": "[" * 10_000 + "a" + "]" * 9_999,
    "open brackets": "[" * 20_000,
    "nested brackets into links": "[" * 9_999 + "a" + "](/)" * 2_500,
    "open images": "![" * 10_000,
    "nested lists": "- " * 10_000,
    "nested list items with text": "".join("  " * i + "- punt\n" for i in range(130)),
    "emphasis runs": "*a" * 10_000,
    "emphasis runs, 9,000": "*a" * 9_000,
    "mixed emphasis": "*a**" * 5_000,
    "underscore runs": "_a" * 10_000,
    "strikethrough runs": "~~a" * 6_666,
    "single tildes": "~a" * 10_000,
    "inert punctuation": "]" * 20_000,
    "backtick runs": "".join("`" * i + "a" for i in range(1, 198)),
    "unclosed link destinations": "[a](b" * 4_000,
    "angle brackets": "<" * 20_000,
    "entity starts": "&#" * 10_000,
    "huge table, 32 columns": ("|a" * 32 + "|\n" + "|-" * 32 + "|\n"
                               + ("|x" * 32 + "|\n") * 300)[:MAX_SOURCE_LENGTH],
    # Sources over MAX_LINES lines are refused by the forms and services before parsing.
    "huge table, 3,000 columns": "|a" * 3_000 + "|\n" + "|-" * 3_000 + "|\n" + "x\n" * 1_997,
    "table, many empty rows": "|a" * 30 + "|\n" + "|-" * 30 + "|\n" + "|\n" * 1_997,
    "many links": ("[link](https://example.org/pad?q=1) " * 600)[:MAX_SOURCE_LENGTH],
    "many autolinks": ("https://example.org/a/b/c " * 800)[:MAX_SOURCE_LENGTH],
    "many images": ("![foto](https://example.org/f.jpg) " * 600)[:MAX_SOURCE_LENGTH],
    "reference bomb": "[a]: https://x.example/" + "a" * 1_900 + "\n\n" + "[a]" * 6_000,
    "mention flood": "@anna " * 3_333,
    "long ordinary post": (ORDINARY * 100)[:MAX_SOURCE_LENGTH],
}


def measure(source: str, repeats: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of render_markdown(source)."""
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        render_markdown(source, known_usernames=["anna"])
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main(out: str, repeats: int = 5) -> None:
    results = {}
    for name, source in CORPUS.items():
        assert len(source) <= MAX_SOURCE_LENGTH and line_count(source) <= MAX_LINES, name
        render_markdown(source, known_usernames=["anna"])  # warm-up
        wall, cpu = measure(source, repeats)
        results[name] = {"wall_ms": round(wall, 2), "cpu_ms": round(cpu, 2),
                         "chars": len(source)}
        print(f"render: {name}: {wall:.1f} ms wall, {cpu:.1f} ms CPU", file=sys.stderr)
    worst = max(results, key=lambda name: results[name]["wall_ms"])
    Path(out).write_text(json.dumps({"cases": results, "worst": worst, "repeats": repeats},
                                    indent=2))


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
