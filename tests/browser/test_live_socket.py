"""static/js/live-socket.js, the one socket client of the thread page, the bell and the review
queue, in Chromium: a stand-in WebSocket that the test opens, feeds and closes, and the page's
clock moved on by the test. The backoff, the ping and its deadline, and what each close code
does, as docs/live-protocol.md §7 says (the close-code table itself: tests/live/
test_live_socket_js.py; the pages on the real server: test_live.py, test_moderation.py,
test_notifications.py)."""

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

STAND_IN = """
window.sockets = [];
window.lost = [];
window.WebSocket = function (url) {
  this.url = url; this.readyState = 0; this.sent = []; this.closedByPage = false;
  window.sockets.push(this);
};
window.WebSocket.prototype.send = function (data) { this.sent.push(JSON.parse(data).type); };
window.WebSocket.prototype.close = function () { this.readyState = 3; this.closedByPage = true; };
function latest() { return sockets[sockets.length - 1]; }
window.serverOpens = function () { latest().readyState = 1; latest().onopen(); };
window.serverSends = function (m) { latest().onmessage({data: JSON.stringify(m)}); };
window.serverCloses = function (code) {
  var s = latest(); s.readyState = 3; if (s.onclose) s.onclose({code: code});
};
"""

FIRST_RETRY_MS = 500 + 0.999 * 4500  # Math.random() is 0.999 below


@pytest.fixture
def client(page):
    """A page with the stand-in socket; `client.open(accepted_by)` opens one live socket."""
    page.add_init_script(STAND_IN)
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    page.clock.install(time=start)
    page.goto("/")
    page.clock.pause_at(start + timedelta(minutes=1))  # time moves only when the test says
    page.evaluate("Math.random = function () { return 0.999; }")

    class Client:
        def open(self, accepted_by: str | None = "hello"):
            page.evaluate("""(acceptedBy) => {
                window.live = LiveSocket.open({
                    path: "/ws/test/", acceptedBy: acceptedBy,
                    onOpen: function (again) { window.openedAgain = again; },
                    onLost: function (code, reconnecting) { lost.push([code, reconnecting]); }
                });
            }""", accepted_by)

        def sockets(self) -> int:
            return page.evaluate("sockets.length")

        def server(self, action: str, argument=None) -> None:
            page.evaluate(f"(argument) => server{action}(argument)", argument)

        def lost(self) -> list:
            return page.evaluate("lost")

        def wait(self, ms: float) -> None:
            page.clock.run_for(int(ms))

        def reconnects_after(self, ms: float) -> None:
            """A new socket comes after about `ms` (with Math.random() at 0.999), not before."""
            before = self.sockets()
            self.wait(ms - 100)
            assert self.sockets() == before, "reconnected too early"
            self.wait(200)
            assert self.sockets() == before + 1, "did not reconnect"

        def fails(self, times: int) -> None:
            for _ in range(times):
                self.server("Closes", 1006)
                self.wait(30_100)

    return Client()


def test_the_delay_is_spread_then_backs_off_with_full_jitter_up_to_30_s(page, client):
    delays = page.evaluate("""() => [0, 0.5, 0.999].map(function (r) {
        Math.random = function () { return r; };
        return [0, 1, 2, 3, 4, 9].map(LiveSocket.reconnectDelay);
    })""")
    assert delays[0] == [500, 0, 0, 0, 0, 0]
    assert delays[1] == [2750, 2500, 5000, 10000, 15000, 15000]
    assert [round(d) for d in delays[2]] == [4996, 4995, 9990, 19980, 29970, 29970]


def test_a_lost_connection_is_retried_with_growing_delays_until_one_is_accepted(client):
    client.open()
    client.server("Opens")
    client.server("Sends", {"type": "hello", "thread_id": 1, "seq": 0})
    client.server("Closes", 1006)
    client.reconnects_after(FIRST_RETRY_MS)  # a connection that worked: the spread retry
    for ceiling in (5000, 10000, 20000, 30000, 30000):
        client.server("Closes", 1006)  # refused before it was accepted
        client.reconnects_after(0.999 * ceiling)
    client.server("Opens")
    client.server("Sends", {"type": "hello", "thread_id": 1, "seq": 0})  # accepted
    client.server("Closes", 1001)
    client.reconnects_after(FIRST_RETRY_MS)
    assert client.lost() == [[1006, True]] * 6 + [[1001, True]]


@pytest.mark.parametrize("code", [4403, 4404])
def test_access_revoked_or_not_found_stops_reconnecting(client, code):
    client.open()
    client.server("Opens")
    client.server("Sends", {"type": "hello", "thread_id": 1, "seq": 0})
    client.server("Closes", code)
    client.wait(120_000)
    assert client.sockets() == 1 and client.lost() == [[code, False]]


def test_a_session_that_ended_is_tried_once_more_then_left(client):
    client.open(accepted_by="notifications.state")
    client.server("Opens")
    client.server("Sends", {"type": "notifications.state", "unread": 0})
    client.server("Closes", 4401)
    client.reconnects_after(FIRST_RETRY_MS)  # once, with the cookie the browser has now
    client.server("Opens")
    client.server("Sends", {"type": "notifications.state", "unread": 2})  # a new session
    client.server("Closes", 4401)
    client.reconnects_after(FIRST_RETRY_MS)  # accepted in between: once more
    client.server("Opens")
    client.server("Closes", 4401)  # still no session: that was the once
    client.wait(120_000)
    assert client.sockets() == 3
    assert client.lost() == [[4401, True], [4401, True], [4401, False]]


def test_a_ping_every_25_s_and_a_missing_pong_is_a_dead_connection(page, client):
    client.open()
    client.server("Opens")
    client.server("Sends", {"type": "hello", "thread_id": 1, "seq": 0})
    client.wait(25_000)
    assert page.evaluate("sockets[0].sent") == ["ping"]
    client.server("Sends", {"type": "pong"})
    client.wait(25_000)
    assert page.evaluate("sockets[0].sent") == ["ping", "ping"]
    client.wait(9_900)
    assert client.lost() == []  # the pong has 10 s
    client.wait(200)
    assert page.evaluate("sockets[0].closedByPage") and client.lost() == [[1006, True]]
    client.reconnects_after(FIRST_RETRY_MS)
    client.server("Opens")
    assert page.evaluate("openedAgain") is True


def test_send_only_while_open_and_restart_drops_the_socket(page, client):
    client.open()
    assert page.evaluate("live.send({type: 'typing'})") is False
    client.server("Opens")
    assert page.evaluate("live.send({type: 'typing'})") is True
    assert page.evaluate("openedAgain") is False
    page.evaluate("live.restart()")
    assert page.evaluate("sockets[0].closedByPage") and client.lost() == [[1006, True]]
    assert page.evaluate("live.isOpen()") is False


def test_without_a_greeting_the_open_counts_unless_closed_4503(client):
    """The review queue's socket says nothing when it opens: the open is its acceptance, but
    one accepted only to be closed 4503 (Redis away) does not start the backoff afresh."""
    client.open(accepted_by=None)
    client.server("Closes", 1006)
    client.wait(30_100)
    client.fails(2)  # three failures in a row now
    client.server("Opens")
    client.server("Closes", 4503)
    client.reconnects_after(0.999 * 20000)  # still backing off
    client.server("Opens")
    client.server("Closes", 1000)
    client.reconnects_after(FIRST_RETRY_MS)  # that one worked
