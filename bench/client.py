"""HTTP client side of the benchmark (standard library only; run by bench/run).

  client.py login BASE_URL EMAIL PASSWORD
      Logs in through the real allauth form (GET the form, POST it with its CSRF token, the
      csrftoken cookie and a Referer) and prints a Cookie header value for wrk:
      "csrftoken=...; sessionid=...".

  client.py replies BASE_URL INFO_JSON EMAIL PASSWORD [COUNT] [WARMUP]
      As a logged-in member: COUNT sequential replies to the big thread. Each one GETs the
      thread's current last page (a fresh form: csrf token and idempotency key) and POSTs the
      reply form; only the POST is timed, up to its 302. Prints JSON with the median and p95
      of the POSTs after the first WARMUP.
"""

import http.client
import json
import random
import re
import statistics
import sys
import time
from html import unescape
from pathlib import Path
from urllib.parse import urlencode, urlsplit


class Browser:
    """One keep-alive connection and a cookie jar, enough for this site's forms."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.host, self.port = parts.hostname, parts.port or 80
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, *, form: dict | None = None,
                referer: str | None = None):
        headers = {"User-Agent": "werkplaats-bench", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.base
        if referer:
            headers["Referer"] = self.base + referer
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - started
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # nginx closed an idle keep-alive connection: reconnect once.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _sep, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response, data.decode("utf-8", "replace"), elapsed


def hidden_field(html: str, name: str, *, after: str = "") -> str:
    start = html.find(after) if after else 0
    if start < 0:
        raise SystemExit(f"bench: no {after!r} on the page")
    for tag in re.finditer(r"<input\b[^>]*>", html[start:]):
        text = tag.group(0)
        if re.search(rf'\bname="{re.escape(name)}"', text):
            value = re.search(r'\bvalue="([^"]*)"', text)
            return unescape(value.group(1)) if value else ""
    raise SystemExit(f"bench: no {name} field on the page")


def login(base_url: str, email: str, password: str) -> Browser:
    browser = Browser(base_url)
    status, _r, html, _t = browser.request("GET", "/account/login/")
    if status != 200:
        raise SystemExit(f"bench: GET /account/login/ answered {status}")
    token = hidden_field(html, "csrfmiddlewaretoken")
    status, response, html, _t = browser.request(
        "POST", "/account/login/", referer="/account/login/",
        form={"csrfmiddlewaretoken": token, "login": email, "password": password})
    if status != 302 or "sessionid" not in browser.cookies:
        raise SystemExit(f"bench: login as {email} failed ({status}, "
                         f"location {response.getheader('Location')})")
    return browser


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def replies(base_url: str, info: dict, email: str, password: str, count: int,
            warmup: int) -> dict:
    browser = login(base_url, email, password)
    rng = random.Random(7)
    thread_url, reply_url = info["thread_url"], info["reply_url"]
    page = info["last_page"]
    times = []
    for n in range(count):
        page_path = f"{thread_url}?page={page}"
        status, _r, html, _t = browser.request("GET", page_path)
        if status != 200:
            raise SystemExit(f"bench: GET {page_path} answered {status}")
        form_start = html.find(f'action="{reply_url}"')
        if form_start < 0:
            raise SystemExit("bench: the thread page shows no reply form for the member")
        token = hidden_field(html, "csrfmiddlewaretoken", after=f'action="{reply_url}"')
        key = hidden_field(html, "idempotency_key", after=f'action="{reply_url}"')
        body = (f"Reactie {n + 1} uit de benchmark. Bij ons werkte **een vaste contactpersoon** "
                f"goed; de planning liep {rng.randint(2, 9)} weken uit, maar het bestuurlijk "
                "overleg hield iedereen aan boord.\n\n- kaart van het gebied\n- afspraken over "
                "de kosten\n\nZie [de handreiking](https://www.vitaalplatteland.nl/handreiking).")
        status, response, _html, elapsed = browser.request(
            "POST", reply_url, referer=page_path,
            form={"csrfmiddlewaretoken": token, "idempotency_key": key, "body": body,
                  "quote_of": ""})
        location = response.getheader("Location") or ""
        if status != 302 or "#post-" not in location:
            raise SystemExit(f"bench: reply {n + 1} answered {status} (location {location!r})")
        match = re.search(r"[?&]page=(\d+)", location)
        page = int(match.group(1)) if match else page
        times.append(elapsed * 1000)
    measured = times[warmup:]
    return {"count": len(measured), "warmup": warmup,
            "median_ms": round(statistics.median(measured), 2),
            "p95_ms": round(percentile(measured, 0.95), 2),
            "min_ms": round(min(measured), 2), "max_ms": round(max(measured), 2),
            "last_page": page}


def main(argv: list[str]) -> None:
    if len(argv) >= 4 and argv[0] == "login":
        browser = login(argv[1], argv[2], argv[3])
        print(f"csrftoken={browser.cookies.get('csrftoken', '')}; "
              f"sessionid={browser.cookies['sessionid']}")
    elif len(argv) >= 5 and argv[0] == "replies":
        info = json.loads(Path(argv[2]).read_text())
        count = int(argv[5]) if len(argv) > 5 else 60
        warmup = int(argv[6]) if len(argv) > 6 else 10
        print(json.dumps(replies(argv[1], info, argv[3], argv[4], count, warmup)))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
