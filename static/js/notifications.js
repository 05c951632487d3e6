/* The bell: unread count kept current over /ws/notifications/ (docs/live-protocol.md), the
   dropdown filled from the server when it opens. Without JavaScript the bell still opens and
   links to the notifications page. */
(function () {
  "use strict";
  var bell = document.querySelector("[data-notifications]");
  if (!bell || !window.WebSocket || !window.fetch || !window.LiveSocket) return;
  var countEl = bell.querySelector("[data-unread-count]");
  var textEl = bell.querySelector("[data-unread-text]");
  var announceEl = document.querySelector("[data-bell-announce]");
  var panel = bell.querySelector("[data-menu-panel]");
  var unread = parseInt(countEl.textContent, 10) || 0;

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

  // The ping (live-socket.js) keeps the server's memberships fresh and has it re-send a count
  // it missed. A 4401 (logged out, session over) is tried once more with the cookie the
  // browser has now (a new password's new session), then this page's bell stops counting.
  window.LiveSocket.open({
    path: bell.dataset.socketPath,
    acceptedBy: "notifications.state",
    onMessage: function (message) {
      if (message.type === "notifications.state" && typeof message.unread === "number") {
        show(message.unread);
      }
    }
  });
})();
