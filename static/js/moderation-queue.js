// Review queue, live: when any moderator acts (or a member flags), the server says "the queue
// changed" and this page fetches itself again and swaps the list. The database is the truth;
// the socket is only a doorbell. Without JavaScript the page is a plain page: reload it.
(function () {
  "use strict";

  var root, statusEl, attempt = 0, refreshing = false, again = false;

  function text(name) { return root.dataset["text" + name] || ""; }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    // Do not pull the list from under a moderator who is typing a reason.
    var active = document.activeElement;
    var typing = active && active.closest && active.closest("#queue-items") &&
      (active.tagName === "TEXTAREA" || active.tagName === "INPUT") && active.value;
    fetch(window.location.href, {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("queue-items");
        var current = document.getElementById("queue-items");
        if (fresh && current && !typing) {
          current.replaceWith(fresh);
          var count = doc.querySelector("[data-queue-count]");
          var mine = document.querySelector("[data-queue-count]");
          if (count && mine) mine.textContent = count.textContent;
          statusEl.textContent = text("Updated");
        }
      })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
        else if (typing) window.setTimeout(refresh, 5000);
      });
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + root.dataset.liveUrl);
    var ping = null;
    socket.onopen = function () {
      if (attempt > 0) refresh();  // something may have changed while we were away
      attempt = 0;
      statusEl.textContent = text("Live");
      ping = window.setInterval(function () {
        if (socket.readyState === 1) socket.send(JSON.stringify({type: "ping"}));
      }, 25000);
    };
    socket.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type === "queue.changed") refresh();
    };
    socket.onclose = function (close) {
      window.clearInterval(ping);
      statusEl.textContent = text("Offline");
      if (close.code === 4404 || close.code === 4403) return;
      attempt += 1;
      window.setTimeout(connect, Math.random() * Math.min(30000, 500 * Math.pow(2, attempt)));
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("moderation-queue");
    if (!root || !("WebSocket" in window)) return;
    root.hidden = false;
    statusEl = root.querySelector("[data-live-status]");
    connect();
  });
})();
