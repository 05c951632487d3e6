/* The bell: unread count kept current over /ws/notifications/ (docs/live-protocol.md), the
   dropdown filled from the server when it opens. Without JavaScript the bell still opens and
   links to the notifications page. */
(function () {
  "use strict";
  var bell = document.querySelector("[data-notifications]");
  if (!bell || !window.WebSocket || !window.fetch) return;
  var countEl = bell.querySelector("[data-unread-count]");
  var textEl = bell.querySelector("[data-unread-text]");
  var announceEl = document.querySelector("[data-bell-announce]");
  var panel = bell.querySelector("[data-menu-panel]");
  var unread = parseInt(countEl.textContent, 10) || 0;
  var attempt = 0;

  function label(count) {
    return count === 1 ? bell.dataset.announceOne
      : bell.dataset.announceMany.replace("{count}", String(count));
  }

  function show(count) {
    var grew = count > unread;
    unread = count;
    countEl.textContent = String(count);
    countEl.hidden = count === 0;
    textEl.textContent = label(count);
    if (grew && announceEl) announceEl.textContent = label(count);
    // An open list is not rewritten under the reader's focus; it is fetched afresh on opening.
  }

  function refreshMenu() {
    fetch(bell.dataset.menuUrl, {credentials: "same-origin", headers: {"X-Requested-With": "fetch"}})
      .then(function (response) {
        // Redirected: the session ended and the login page came back; keep the plain link.
        return response.ok && !response.redirected ? response.text() : null;
      })
      .then(function (html) { if (html !== null) panel.innerHTML = html; })
      .catch(function () { /* the links in the panel keep working */ });
  }

  bell.addEventListener("toggle", function () { if (bell.open) refreshMenu(); });
  bell.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bell.open) {
      bell.open = false;
      bell.querySelector("summary").focus();
    }
  });

  // The first retry is spread over 0.5–5 s (a restart closes every socket at one instant);
  // then exponential backoff with full jitter, capped at 30 s (docs/live-protocol.md §7).
  function reconnectDelay(failures) {
    if (failures === 0) return 500 + Math.random() * 4500;
    return Math.random() * Math.min(30000, 5000 * Math.pow(2, failures - 1));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + bell.dataset.socketPath);
    var pingTimer = null, pongTimer = null, gone = false;
    function lost(code) {
      if (gone) return;
      gone = true;
      window.clearInterval(pingTimer);
      window.clearTimeout(pongTimer);
      // 4401: logged out or session over: this page's bell has nothing more to count.
      if (code === 4401) return;
      window.setTimeout(connect, reconnectDelay(attempt));
      attempt += 1;
    }
    function giveUp() {
      socket.onclose = null;
      try { socket.close(); } catch (e) { /* closing already */ }
      lost(1006);
    }
    socket.addEventListener("open", function () {
      // The ping keeps the server's memberships fresh and has it re-send a count it missed.
      pingTimer = window.setInterval(function () {
        if (socket.readyState !== 1) return;
        socket.send(JSON.stringify({type: "ping"}));
        if (!pongTimer) pongTimer = window.setTimeout(giveUp, 10000);
      }, 25000);
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "notifications.state" && typeof message.unread === "number") {
        attempt = 0;  // accepted: the server has spoken
        show(message.unread);
      } else if (message.type === "pong") {
        window.clearTimeout(pongTimer);
        pongTimer = null;
      }
    });
    socket.onclose = function (event) { lost(event.code); };
  }
  connect();
})();
