"""The browser client's close-code table (static/js/live-socket.js) is the one in
docs/live-protocol.md §7, and covers every code the server closes with (live.consumers).
How the client acts on it is driven in Chromium: tests/browser/test_live_socket.py."""

import re
from pathlib import Path

from django.conf import settings

from live.consumers import CloseCode

ROOT = Path(settings.BASE_DIR)


def client_table() -> dict[int, str]:
    script = (ROOT / "static" / "js" / "live-socket.js").read_text()
    table = re.search(r"var AFTER_CLOSE = \{(.*?)\};", script, re.S).group(1)
    return {int(code): action for code, action in re.findall(r'(\d{4}): "([a-z ]+)"', table)}


def documented_table() -> dict[int, str]:
    """Close code → "stop", "reconnect once" or "reconnect", from the Client column."""
    section = (ROOT / "docs" / "live-protocol.md").read_text().split("## 7.")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"\d{4}(, \d{4})*", cells[0]):
            continue
        client = cells[2].lower()
        action = ("stop" if "do not reconnect" in client
                  else "reconnect once" if "reconnect once" in client else "reconnect")
        for code in cells[0].split(", "):
            rows[int(code)] = action
    return rows


def test_the_client_acts_on_each_close_code_as_the_protocol_says():
    documented = documented_table()
    assert {4403: "stop", 4404: "stop", 4401: "reconnect once", 4503: "reconnect"}.items() \
        <= documented.items()  # the parse found the table
    assert client_table() == documented


def test_every_code_the_server_closes_with_is_in_the_table():
    server_codes = {value for name, value in vars(CloseCode).items() if name.isupper()}
    assert server_codes and server_codes <= set(client_table())
