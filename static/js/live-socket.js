// The one WebSocket client of the live pages (docs/live-protocol.md §7): connect, ping every
// 25 s and treat a pong that does not come within 10 s as a dead connection, reconnect with
// jittered backoff, and after each close code do what one table says. The thread page, the
// bell and the review queue (live-thread.js, notifications.js, moderation-queue.js) only say
// what their frames mean.
(function () {
  "use strict";

  // The "Close code" table of docs/live-protocol.md §7 (tests/live/test_live_socket_js.py
  // holds the two together). A code not listed is treated as a lost connection: reconnect.
  var AFTER_CLOSE = {
    1000: "reconnect", 1001: "reconnect", 1002: "reconnect", 1005: "reconnect",
    1006: "reconnect", 1007: "reconnect", 1009: "reconnect", 1011: "reconnect",
    4008: "reconnect", 4009: "reconnect",
    4401: "reconnect once",  // with the cookie the browser has now; again 4401: stop
    4403: "stop", 4404: "stop",
    4429: "reconnect", 4503: "reconnect"
  };
  var PING_EVERY_MS = 25000, PONG_WITHIN_MS = 10000;

  // The first retry after a connection that worked is spread over 0.5–5 s, so the sockets a
  // restart (Redis, a deploy) closed at one instant do not all come back at one instant;
  // after that, exponential backoff with full jitter, capped at 30 s.
  function reconnectDelay(failures) {
    if (failures === 0) return 500 + Math.random() * 4500;
    return Math.random() * Math.min(30000, 5000 * Math.pow(2, failures - 1));
  }

  // options.path: the socket's path ("/ws/notifications/").
  // options.acceptedBy: the frame type that means "accepted" ("hello"), which starts the
  //   backoff afresh; without one, a socket that opened counts as accepted unless it is
  //   closed 4503 (accepted only to say "try again").
  // options.onOpen(again): the socket is open; `again` is false for the page's first socket.
  // options.onMessage(message): every frame, pong included (decoded; undecodable ones are
  //   dropped). A handler's error is not fatal to the socket.
  // options.onLost(code, reconnecting): the socket is gone (a pong that did not come: 1006).
  // Returns {send(message) → whether it was sent, isOpen(), restart()}: restart() drops the
  // socket as a dead one and reconnects (a pong that says the socket fell behind).
  function open(options) {
    var failures = 0, sessionEnded = false, sockets = 0, socket = null, restartCurrent = null;

    function accepted() {
      failures = 0;
      sessionEnded = false;
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      var sock = socket = new WebSocket(scheme + window.location.host + options.path);
      var again = sockets > 0, pingTimer = null, pongTimer = null, gone = false, opened = false;
      sockets += 1;

      // The one way out of this socket: its close, or a pong that does not come.
      function lost(code) {
        if (gone) return;
        gone = true;
        window.clearInterval(pingTimer);
        window.clearTimeout(pongTimer);
        if (!options.acceptedBy && opened && code !== 4503) accepted();
        var action = AFTER_CLOSE[code] || "reconnect";
        if (action === "reconnect once") {
          if (sessionEnded) action = "stop";
          sessionEnded = true;
        }
        var reconnecting = action !== "stop";
        if (options.onLost) options.onLost(code, reconnecting);
        if (!reconnecting) return;
        window.setTimeout(connect, reconnectDelay(failures));
        failures += 1;
      }

      function giveUp() {
        sock.onclose = null;
        try { sock.close(); } catch (e) { /* closing already */ }
        lost(1006);
      }
      restartCurrent = giveUp;

      sock.onopen = function () {
        opened = true;
        if (options.onOpen) options.onOpen(again);
        pingTimer = window.setInterval(function () {
          if (sock.readyState !== 1) return;
          sock.send(JSON.stringify({type: "ping"}));
          if (!pongTimer) pongTimer = window.setTimeout(giveUp, PONG_WITHIN_MS);
        }, PING_EVERY_MS);
      };
      sock.onmessage = function (frame) {
        var message;
        try { message = JSON.parse(frame.data); } catch (e) { return; }
        if (!message || typeof message.type !== "string") return;
        if (message.type === "pong") {
          window.clearTimeout(pongTimer);
          pongTimer = null;
        }
        if (options.acceptedBy && message.type === options.acceptedBy) accepted();
        try { if (options.onMessage) options.onMessage(message); } catch (e) { /* one bad frame */ }
      };
      sock.onclose = function (close) { lost(close.code); };
    }

    connect();
    return {
      send: function (message) {
        if (!socket || socket.readyState !== 1) return false;
        socket.send(JSON.stringify(message));
        return true;
      },
      isOpen: function () { return !!socket && socket.readyState === 1; },
      restart: function () { if (restartCurrent) restartCurrent(); }
    };
  }

  window.LiveSocket = {open: open, AFTER_CLOSE: AFTER_CLOSE, reconnectDelay: reconnectDelay};
})();
