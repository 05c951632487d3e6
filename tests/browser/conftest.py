"""Real-browser harness: the site served by daphne in its own process, driven by Chromium.

One daphne server and one Chromium serve the whole session; every test gets a fresh browser
context (cookies, storage) and must use `transactional_db`, because the server process only
sees committed rows.
"""

import email
import email.policy
import multiprocessing
import os
import re
import sys
import time
from pathlib import Path

import pytest
from daphne.testing import DaphneProcess

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SERVER_START_TIMEOUT = 30
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Everything in this folder drives a browser: mark it so the root conftest can skip it,
    and run it after all other tests. Once started, sync Playwright keeps an asyncio event
    loop running in the main thread until the session ends, which would break later
    pytest-asyncio tests ("Runner.run() cannot be called from a running event loop")."""
    browser_items = []
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            browser_items.append(item)
    if browser_items:
        chosen = {id(item) for item in browser_items}
        others = [item for item in items if id(item) not in chosen]
        items[:] = others + browser_items


# --- The server -----------------------------------------------------------------------------

def _get_application():
    """Runs in the server process: the site's own ASGI application, as deployed."""
    from community.asgi import application

    return application


class _ServerSetup:
    """Runs in the forked server process just before it starts serving."""

    def __init__(self, mail_dir: Path, log_file: Path, db_blocker):
        self.mail_dir = mail_dir
        self.log_file = log_file
        self.db_blocker = db_blocker

    def __call__(self):
        from django.conf import settings

        # The server's output goes to a log file the tests inspect (see `server_log`).
        fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        # The fork copied pytest-django's "no database access outside db tests" guard; the
        # server serves every test, so it lifts the guard for good.
        self.db_blocker.unblock()
        # The served site keeps Django's async-safety checks, whatever the test process set.
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        # Threads do not survive a fork. asgiref runs thread-sensitive code (every
        # database_sync_to_async of the consumers) on one worker thread; if async tests ran
        # in this session before the fork, the copied executor believes its (now absent)
        # thread still exists, and every WebSocket handshake would wait for it forever.
        from concurrent.futures import ThreadPoolExecutor

        from asgiref.sync import SyncToAsync
        from channels.layers import channel_layers

        SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
        channel_layers.backends.clear()  # nor may a layer bound to the parent's event loops
        # The test process cannot read this process's locmem outbox: write mail to files.
        settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
        settings.EMAIL_FILE_PATH = str(self.mail_dir)


class _ForkedDaphneProcess(DaphneProcess):
    """DaphneProcess, always forked (Python 3.14 defaults to forkserver on Linux): the child
    inherits the settings pytest-django rewrote to point at the test database."""

    _start_method = "fork"

    @staticmethod
    def _Popen(process_obj):  # noqa: N802 (multiprocessing's name)
        return multiprocessing.get_context("fork").Process._Popen(process_obj)


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.db import connections

    for connection in connections.all():
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            pytest.fail("The browser tests need a file or server database, not :memory:")

    base = tmp_path_factory.mktemp("live-server")
    mail_dir = base / "mail"
    mail_dir.mkdir()
    log_file = base / "server.log"
    log_file.touch()
    # The child must not share this process's open database sockets or SQLite handles.
    with django_db_blocker.unblock():
        connections.close_all()
        # close_all() hands pooled PostgreSQL connections back to the pool, which stays
        # open: a forked child would share those sockets with this process.
        for connection in connections.all():
            if connection.vendor == "postgresql":
                connection.close_pool()

    process = _ForkedDaphneProcess(
        host="127.0.0.1", get_application=_get_application,
        setup=_ServerSetup(mail_dir, log_file, django_db_blocker),
    )
    process.start()
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while not process.ready.wait(timeout=0.5):
        if not process.is_alive() or time.monotonic() > deadline:
            process.terminate()
            process.join(5)
            detail = process.errors.get(False)[1] if not process.errors.empty() else ""
            pytest.fail(
                f"daphne did not start:\n{detail}\n{log_file.read_text(errors='replace')}"
            )
    process.url = f"http://127.0.0.1:{process.port.value}"
    process.mail_dir = mail_dir
    process.log_file = log_file
    try:
        yield process
    finally:
        process.terminate()
        process.join(10)
        if process.is_alive():
            process.kill()
            process.join(5)


@pytest.fixture(scope="session")
def live_url(live_server_process) -> str:
    """The served site's origin, e.g. "http://127.0.0.1:43817"."""
    return live_server_process.url


@pytest.fixture(autouse=True)
def server_log(request):
    """Fails a browser test whose requests made the server log an error (a 500, a crash).

    Only active for tests that use the live server; yields the log text seen so far.
    """
    if "live_server_process" not in request.fixturenames:
        yield None
        return
    process = request.getfixturevalue("live_server_process")
    start = process.log_file.stat().st_size
    yield process.log_file
    with process.log_file.open(errors="replace") as fh:
        fh.seek(start)
        new = fh.read()
    errors = [line for line in new.splitlines()
              if re.search(r"\b(ERROR|CRITICAL)\b|Traceback", line)]
    if errors:
        pytest.fail("The server logged errors during this test:\n" + new, pytrace=False)


class Mailbox:
    """The mail the server process sent, read from the file-based email backend's files."""

    def __init__(self, directory: Path):
        self.directory = directory

    def clear(self) -> None:
        for path in self.directory.iterdir():
            path.unlink()

    def messages(self) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return found

    def wait_for(self, *, to: str, timeout: float = 10) -> email.message.EmailMessage:
        """The newest message to `to`, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        while True:
            mine = [m for m in self.messages() if to in str(m["To"])]
            if mine:
                return mine[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"No email to {to} arrived within {timeout} s")
            time.sleep(0.1)


@pytest.fixture
def mailbox(live_server_process) -> Mailbox:
    box = Mailbox(live_server_process.mail_dir)
    box.clear()
    return box


# --- The browser ----------------------------------------------------------------------------

@pytest.fixture(scope="session")
def playwright(live_server_process):
    # Depends on the server so daphne is forked before Playwright starts its driver process
    # and event loop: forking a process that runs them is asking for trouble.
    from playwright.sync_api import sync_playwright

    # Sync Playwright runs an asyncio event loop in this (the main) thread from now on.
    # Django refuses ORM calls from a thread with a running event loop
    # (SynchronousOnlyOperation), although the test code is plain synchronous code that never
    # runs concurrently with the loop. Allowing it, in the test process and only while
    # Playwright runs, lets the tests build data with the factories. (The variable would also
    # trip `check --deploy` in subprocesses of other tests, hence the narrow scope.)
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright):
    """Debian's Chromium; Playwright's own browser downloads are never used."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


def _watch(context, problems: list[str]) -> None:
    """Records what a visitor's browser would complain about: script errors, Content
    Security Policy violations and other console errors, failed sub-resources (CSS, JS,
    images). Pages answering 4xx on purpose (the 404 test) are documents, not sub-resources."""

    def on_console(message):
        # A failed load also logs "Failed to load resource"; on_response names the URL.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console error on {message.page and message.page.url}: "
                            f"{message.text}")

    def on_response(response):
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"{response.status} for {response.request.resource_type} "
                            f"{response.url}")

    context.on("console", on_console)
    context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
    context.on("response", on_response)


@pytest.fixture
def new_context(browser, live_url):
    """Factory for extra, isolated browser contexts (a second person at another computer).

    `language` sets Django's language cookie; without it the browser's locale (nl-NL) decides.
    A test fails if a page showed script errors, CSP violations or failed sub-resources.
    """
    contexts, problems = [], []

    def make(*, locale: str = "nl-NL", language: str | None = None):
        context = browser.new_context(locale=locale, base_url=live_url)
        context.set_default_timeout(10_000)
        if language:
            context.add_cookies([{"name": "django_language", "value": language,
                                  "url": live_url}])
        _watch(context, problems)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def axe():
    """axe-core, run in a page with `tests.browser.helpers.assert_no_axe_violations`."""
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def log_in_context(context, user, live_url: str) -> None:
    """Gives `context` a logged-in session for `user`, as if they had just logged in and
    confirmed their password (so allauth's reauthentication check passes)."""
    from allauth.account.authentication import AUTHENTICATION_METHODS_SESSION_KEY
    from allauth.account.internal.flows.login import _AUTHENTICATION_METHODS_USER_SESSION_KEY
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="accounts.backends.AuthenticationBackend")
    session = client.session
    # A fresh password (re)authentication: allauth asks for one before MFA changes.
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email, "reauthenticated": True},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key,
                          "url": live_url}])


@pytest.fixture
def log_in(live_url):
    """log_in(context, user): a session cookie for `user` without going through the forms."""
    return lambda context, user: log_in_context(context, user, live_url)
