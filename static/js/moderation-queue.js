// Review queue, live: when any moderator acts (or a member flags), the server says "the queue
// changed" and this page fetches itself again and swaps the list. The database is the truth;
// the socket is only a doorbell. Without JavaScript the page is a plain page: reload it.
(function () {
  "use strict";

  var root, statusEl, refreshing = false, again = false, leaving = false;

  function text(name) { return root.dataset["text" + name] || ""; }

  // A live refresh swaps the list; a keyboard user whose focus was in it must not be thrown
  // back to the top of the page. Controls are found again by what they do: id, or the form
  // they post to with the button's value, or the link's address.
  function focusKey(el) {
    var section = el.closest("section[aria-labelledby]");
    return {id: el.id, tag: el.tagName, href: el.getAttribute("href"), value: el.value,
            action: el.form ? el.form.getAttribute("action") : null,
            heading: section ? section.getAttribute("aria-labelledby") : null};
  }

  function restoreFocus(list, key) {
    var found = key.id ? document.getElementById(key.id) : null;
    if (!found || !list.contains(found)) {
      found = Array.prototype.find.call(list.getElementsByTagName(key.tag), function (el) {
        return el.getAttribute("href") === key.href && el.value === key.value &&
          (el.form ? el.form.getAttribute("action") : null) === key.action;
      });
    }
    // Its item left the queue: the heading of the list it was in.
    if (!found && key.heading) found = document.getElementById(key.heading);
    if (!found) found = list.querySelector("h2");
    if (!found) return;
    // A heading takes focus only with a tabindex; a second refresh must find one on the fresh
    // heading too, or the focus falls back to the page.
    if (found.tabIndex < 0 && !found.hasAttribute("tabindex")) found.setAttribute("tabindex", "-1");
    found.focus({preventScroll: true});
  }

  function announce(message) {
    // The same words again are no change to a screen reader: clear first, then say them.
    statusEl.textContent = "";
    window.setTimeout(function () { statusEl.textContent = message; }, 100);
  }

  function refresh() {
    // A form sent from this page (the moderator's own decision) rings the bell here too, while
    // the browser follows the redirect: a fetch then would take the confirmation message meant
    // for the next page.
    if (leaving) return;
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
          var focused = document.activeElement;
          var key = focused && focused !== document.body && current.contains(focused)
            ? focusKey(focused) : null;
          current.replaceWith(fresh);
          if (key) restoreFocus(fresh, key);
          var count = doc.querySelector("[data-queue-count]");
          var mine = document.querySelector("[data-queue-count]");
          if (count && mine) mine.textContent = count.textContent;
          announce(text("Updated"));
        }
      })
      .finally(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
        else if (typing) window.setTimeout(refresh, 5000);
      });
  }

  function connect() {
    window.LiveSocket.open({
      path: root.dataset.liveUrl,
      onOpen: function (reconnected) {
        if (reconnected) refresh();  // something may have changed while we were away
        statusEl.textContent = text("Live");
      },
      onMessage: function (event) { if (event.type === "queue.changed") refresh(); },
      onLost: function () { statusEl.textContent = text("Offline"); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("moderation-queue");
    if (!root || !("WebSocket" in window) || !window.LiveSocket) return;
    root.hidden = false;
    statusEl = root.querySelector("[data-live-status]");
    document.addEventListener("submit", function (event) {
      if (!event.defaultPrevented) leaving = true;
    });
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { leaving = false; refresh(); }  // back from the history cache
    });
    connect();
  });
})();
