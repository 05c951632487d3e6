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

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + bell.dataset.socketPath);
    socket.addEventListener("open", function () { attempt = 0; });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (message.type === "notifications.state" && typeof message.unread === "number") {
        show(message.unread);
      }
    });
    socket.addEventListener("close", function (event) {
      // 4401: logged out or session over; 4429: too many open tabs. No point in retrying.
      if (event.code === 4401 || event.code === 4429) return;
      var delay = Math.random() * Math.min(30000, 1000 * Math.pow(2, attempt));
      attempt += 1;
      window.setTimeout(connect, delay);
    });
  }
  connect();
})();
