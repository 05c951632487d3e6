"""A live thread in real browsers against the real server (docs/live-protocol.md).

Anna and Bram, members of a region, have the same public question open at two computers.
Anna's reply (sent by the page's script, without a page load) reaches Bram within two seconds
and Anna sees it once; her edit reaches Bram too. Bram's connection drops while Anna posts
twice; when it is back Bram has both posts, once each and in order, and his status line went
"Live" → "Verbinding verbroken — opnieuw verbinden…" → "Bijgewerkt". Then a moderator locks the
thread and Anna's reply form gives way to the lock notice while she watches; unlocked, it
comes back.

Taking Bram offline: Playwright's `context.set_offline(True)` (CDP
Network.emulateNetworkConditions) leaves an open WebSocket alone: it stays OPEN and keeps
receiving. It only makes *new* connections fail at once, and Chromium reports each failed
attempt as a console error, which this harness counts as a page problem. Closing the socket from
script would need a hook into the page's WebSocket, and `page.route_web_socket` swaps the page's
WebSocket for Playwright's own. So Bram's page is loaded through `Cable`, a small TCP relay in
this process, and the cable is pulled: every connection through it closes at once (the browser
sees an abnormal close, 1006, as when a network drops) and new connections stall without an
answer, like packets into a dead network, until the cable is plugged back in. The page, its
script and its WebSocket are untouched.
"""

import contextlib
import socket
import threading

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from forums.models import Post, Thread
from regions.models import Role
from tests.browser.helpers import LIVE_WITHIN_MS, assert_not_reloaded, label, mark_page, tr
from tests.factories import make_forums, make_member, make_region, make_thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Hoe vaak lezen jullie de peilbuizen uit?"
OPENING = "Wij twijfelen tussen elke maand en elk kwartaal. Wat is jullie ervaring?"
REPLY = "Wij lezen ze elk kwartaal uit, in droge zomers elke maand."
EDITED = "Wij lezen ze elk kwartaal uit, in droge zomers elke twee weken."
WHILE_AWAY = (
    "Aanvulling: de provincie vraagt de gegevens per halfjaar op.",
    "En vergeet de kalibratie van de drukopnemers niet.",
)


class Cable:
    """A TCP relay to the live server for one browser, with a plug to pull.

    unplug(): every connection through the relay is closed at once and new ones are held
    unanswered (the browser waits, as on a dead network); plug_in(): held and new connections
    go through again.
    """

    def __init__(self, port: int):
        self.target = ("127.0.0.1", port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._plugged = threading.Event()
        self._plugged.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _address = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        self._plugged.wait()
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        with self._lock:
            if self._closed:
                client.close()
                upstream.close()
                return
            self._sockets.update((client, upstream))
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _cut(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def unplug(self) -> None:
        self._plugged.clear()
        self._cut()

    def plug_in(self) -> None:
        self._plugged.set()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self.listener.close()
        self._plugged.set()  # let held connections end
        self._cut()


@pytest.fixture
def cable(live_server_process):
    relay = Cable(live_server_process.port.value)
    yield relay
    relay.close()


def status(page):
    return page.locator("[data-live-status]")


def posts_with(page, text: str):
    """The post articles on the page whose text contains `text`."""
    return page.locator("#posts").get_by_role("article").filter(has_text=text)


def read_along(page) -> None:
    """Scroll to the end: a reader there gets new posts in place (further up, the page holds
    them behind a "new posts" button instead of moving the text being read)."""
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")


def send_reply(page, text: str):
    """Through the reply form; the page's script sends it with fetch (no page load) and
    empties the box once the server said yes. Returns the box."""
    box = page.get_by_label(label("Your reply"))
    box.fill(text)
    page.get_by_role("button", name=tr("Post reply")).click()
    return box


def post_reply(page, text: str) -> None:
    expect(send_reply(page, text)).to_have_value("")


def test_two_readers_follow_a_thread_live_through_a_dropped_connection_and_a_lock(
        cable, new_context, log_in):
    # `cable` first: fixtures end in reverse order, so the browsers close before the cable
    # does (a cable closing under an open page would make it log failed reconnects).
    region = make_region(name="Regio Gelderse Vallei")
    _algemeen, _verslagen, vragen = make_forums(region)
    assert vragen.name == "Vragen en antwoorden"
    anna = make_member(region=region, display_name="Anna Akker")
    bram = make_member(region=region, display_name="Bram Beek")
    moderator = make_member(region=region, role=Role.MODERATOR, display_name="Mo Moderator")
    thread = make_thread(forum=vragen, author=anna, title=QUESTION, body=OPENING,
                         kind=Thread.Kind.QUESTION)
    thread_url = thread.get_absolute_url()

    # Both open the thread: Anna directly, Bram through his cable.
    anna_context = new_context()
    log_in(anna_context, anna)
    anna_page = anna_context.new_page()
    anna_page.goto(thread_url)
    bram_context = new_context()
    log_in(bram_context, bram)
    bram_page = bram_context.new_page()
    bram_page.goto(cable.url + thread_url)
    for page in (anna_page, bram_page):
        expect(page.get_by_role("heading", level=1)).to_have_text(QUESTION)
        expect(status(page)).to_have_text(tr("Live"))
        mark_page(page)
    read_along(bram_page)

    # Anna replies; Bram sees it within two seconds, Anna sees her own post once.
    anna_box = send_reply(anna_page, REPLY)
    expect(posts_with(bram_page, REPLY)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(anna_box).to_have_value("")
    expect(posts_with(anna_page, REPLY)).to_have_count(1)
    expect(posts_with(anna_page, REPLY)).to_be_visible()
    reply = Post.objects.get(thread=thread, position=2)
    assert reply.author_id == anna.pk and reply.body == REPLY
    expect(posts_with(bram_page, REPLY)).to_have_count(1)
    expect(posts_with(bram_page, REPLY).get_by_role("link", name="Anna Akker")).to_be_visible()

    # Anna edits it on the edit page (another tab); the edit reaches Bram and her first tab.
    edit_page = anna_context.new_page()
    edit_page.goto(reverse("forums:edit_post", args=[reply.pk]))
    edit_page.get_by_label(label("Message")).fill(EDITED)
    edit_page.get_by_role("button", name=tr("Save changes")).click()
    expect(posts_with(edit_page, EDITED)).to_be_visible()
    expect(posts_with(bram_page, EDITED)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(posts_with(bram_page, REPLY)).to_have_count(0)
    expect(posts_with(anna_page, EDITED)).to_have_count(1)
    expect(posts_with(anna_page, REPLY)).to_have_count(0)
    edit_page.close()

    # Bram's connection drops; Anna posts twice meanwhile.
    cable.unplug()
    expect(status(bram_page)).to_have_text(tr("Connection lost — reconnecting…"))
    for text in WHILE_AWAY:
        post_reply(anna_page, text)
        expect(posts_with(anna_page, text)).to_have_count(1)
    expect(posts_with(bram_page, WHILE_AWAY[0])).to_have_count(0)

    # Back online: Bram catches up, every post once and in order, without a reload.
    cable.plug_in()
    expect(status(bram_page)).to_have_text(tr("Updated"))
    bodies = [OPENING, EDITED, *WHILE_AWAY]
    expect(bram_page.locator("#posts .post__body")).to_have_text(bodies)
    for text in WHILE_AWAY:
        expect(posts_with(bram_page, text)).to_have_count(1)
    expect(anna_page.locator("#posts .post__body")).to_have_text(bodies)

    # A moderator locks the thread; Anna's (and Bram's) reply form gives way to the notice.
    moderator_context = new_context()
    log_in(moderator_context, moderator)
    moderator_page = moderator_context.new_page()
    moderator_page.goto(thread_url)
    expect(anna_page.get_by_label(label("Your reply"))).to_be_visible()
    moderator_page.get_by_role("button", name=tr("Lock"), exact=True).click()
    expect(moderator_page.get_by_role("button", name=tr("Unlock"), exact=True)).to_be_visible()
    assert Thread.objects.get(pk=thread.pk).is_locked
    locked = tr("This thread is locked: no new replies.")
    for page in (anna_page, bram_page):
        reply_section = page.locator("#reply")
        expect(reply_section.get_by_text(locked)).to_be_visible(timeout=LIVE_WITHIN_MS)
        expect(reply_section.locator("form")).to_have_count(0)
        expect(page.get_by_role("button", name=tr("Post reply"))).to_have_count(0)
        assert_not_reloaded(page)

    # Unlocked again: the form comes back without a reload.
    moderator_page.get_by_role("button", name=tr("Unlock"), exact=True).click()
    expect(anna_page.get_by_label(label("Your reply"))).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(anna_page.locator("#reply").get_by_text(locked)).to_have_count(0)
    assert_not_reloaded(anna_page)


AFTER_FLUSH = "Na de storing: de meetwaarden van vorige week staan er weer in."


@pytest.mark.redis
def test_a_reader_gets_posts_made_after_redis_lost_its_data_at_the_next_ping(
        new_context, log_in):
    """Redis is flushed under Bram's open page (this run's own database; never FLUSHALL): his
    socket stays open but the channel layer forgot it. At the page's next ping (every 25 s; the
    page's clock is moved on instead of waiting) he has the post made meanwhile, once, without
    a reload."""
    import redis
    from django.conf import settings

    region = make_region()
    vragen = make_forums(region)[2]
    anna = make_member(region=region, display_name="Anna Akker")
    bram = make_member(region=region, display_name="Bram Beek")
    thread = make_thread(forum=vragen, author=anna, title=QUESTION, body=OPENING,
                         kind=Thread.Kind.QUESTION)
    pages = {}
    for person in (anna, bram):
        context = new_context()
        log_in(context, person)
        page = pages[person.pk] = context.new_page()
        if person is bram:
            page.clock.install()
        page.goto(thread.get_absolute_url())
        expect(status(page)).to_have_text(tr("Live"))
    bram_page = pages[bram.pk]
    mark_page(bram_page)
    read_along(bram_page)

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    post_reply(pages[anna.pk], AFTER_FLUSH)
    bram_page.wait_for_timeout(1000)
    expect(posts_with(bram_page, AFTER_FLUSH)).to_have_count(0)  # the doorbell rang for nobody

    bram_page.clock.fast_forward(26000)
    expect(posts_with(bram_page, AFTER_FLUSH)).to_be_visible(timeout=LIVE_WITHIN_MS)
    expect(posts_with(bram_page, AFTER_FLUSH)).to_have_count(1)
    expect(status(bram_page)).to_have_text(tr("Live"))
    assert_not_reloaded(bram_page)
