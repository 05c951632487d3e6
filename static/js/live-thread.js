// Live thread: new posts, edits, reactions, moderation and presence without reloading.
// Protocol: docs/live-protocol.md. Without JavaScript the page works as a plain page.
(function () {
  "use strict";

  var root, posts, statusEl, pauseBtn, showBtn, presenceEl, typingEl, announceEl;
  var live = null, lastSeq = 0, paused = false, held = [], unseen = 0;
  var typingTimers = {}, lastTyping = 0, everConnected = false;

  function text(name, values) {
    var s = root.dataset["text" + name] || "";
    Object.keys(values || {}).forEach(function (k) { s = s.replace("{" + k + "}", values[k]); });
    return s;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function setStatus(state) {
    statusEl.textContent = text(state === "live" ? "Live" : state === "updated" ? "Updated" : "Offline");
    statusEl.dataset.state = state;
  }

  // Post fragments are shared by every reader; the page's viewer style shows this reader's
  // controls. Here the reaction links become toggle buttons for screen readers too.
  function enableControls(article) {
    var me = root.dataset.userId;
    article.querySelectorAll("a[data-reaction-kind]").forEach(function (link) {
      var pressed = !!me && (" " + (link.dataset.reactorIds || "") + " ").indexOf(" " + me + " ") !== -1;
      link.setAttribute("role", "button");
      link.setAttribute("aria-pressed", pressed ? "true" : "false");
    });
  }

  // One click instead of the confirmation page: POST the same action the page would.
  function postAction(url, fields) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    Object.keys(fields).forEach(function (k) { body.append(k, fields[k]); });
    return fetch(url, {method: "POST", body: body, credentials: "same-origin", redirect: "manual"})
      .then(function (response) {
        if (response.type !== "opaqueredirect" && !response.ok) throw new Error(String(response.status));
        if (!live.isOpen()) resync();
      });
  }

  function onControlClick(click) {
    var link = click.target.closest("a[data-reaction-kind], a[data-accept-link]");
    if (!link || !posts.contains(link) || !window.fetch) return;
    click.preventDefault();
    var url = new URL(link.href, window.location.href);
    var fields = {};
    url.searchParams.forEach(function (value, key) { fields[key] = value; });
    postAction(url.pathname, fields).catch(function () { window.location.href = link.href; });
  }

  function onControlKey(key) {
    if (key.key === " " && key.target.matches && key.target.matches("a[role=button]")) {
      key.preventDefault();
      key.target.click();
    }
  }

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var article = template.content.firstElementChild;
    enableControls(article);
    return article;
  }

  function atBottom() {
    return window.innerHeight + window.scrollY >= document.body.scrollHeight - 200;
  }

  function showHeld() {
    held.forEach(function (article) { posts.appendChild(article); });
    held = [];
    unseen = 0;
    showBtn.hidden = true;
  }

  function updateShowButton() {
    var n = held.length;
    showBtn.hidden = n === 0;
    showBtn.textContent = n === 1 ? text("NewOne") : text("NewMany", {n: n});
  }

  function onPostCreated(event) {
    if (document.getElementById("post-" + event.post_id)) {
      replacePost(event);  // our own post, or seen already
      return;
    }
    var form = document.querySelector("#reply form");
    if (form && form.dataset.pendingKey && form.dataset.pendingKey === event.idempotency_key) {
      form.dataset.pendingKey = "";
    }
    if (root.dataset.lastPage !== "1") {
      held.push(fragment(event.html)); updateShowButton(); return;
    }
    var article = fragment(event.html);
    var name = (article.querySelector(".post__author a") || {}).textContent || "";
    announceEl.textContent = text("Announce", {name: name});
    if (paused || !atBottom()) {
      held.push(article); updateShowButton();
    } else {
      // Keep the reader at the end (the reply form where it was), so the next post comes in
      // the same way instead of behind the "new posts" button.
      var height = document.documentElement.scrollHeight;
      posts.appendChild(article);
      window.scrollBy(0, document.documentElement.scrollHeight - height);
    }
  }

  function replacePost(event) {
    var old = document.getElementById("post-" + event.post_id);
    if (old) old.replaceWith(fragment(event.html));
  }

  // The reply form leaves the page while the thread is locked and comes back when it is
  // unlocked; a page that was loaded locked has no form to bring back and offers a reload.
  var detachedForm = null;
  function setLocked(reply, locked) {
    var form = reply.querySelector("form");
    var notice = reply.querySelector("[data-lock-notice]");
    if (locked) {
      if (form) { detachedForm = form; form.remove(); }
      if (!notice) {
        notice = document.createElement("p");
        notice.className = "alert alert--warning";
        notice.dataset.lockNotice = "1";
        reply.appendChild(notice);
      }
      notice.textContent = text("Locked");
    } else if (notice) {
      if (detachedForm) {
        notice.replaceWith(detachedForm);
        detachedForm = null;
      } else {
        notice.className = "alert";
        notice.textContent = text("Reopened") + " ";
        var link = document.createElement("a");
        link.href = window.location.pathname + window.location.search + "#reply";
        link.textContent = text("ReloadToReply");
        link.addEventListener("click", function (e) { e.preventDefault(); window.location.reload(); });
        notice.appendChild(link);
      }
    }
  }

  function onThreadUpdated(event) {
    var h1 = document.querySelector("main h1");
    if (h1 && event.title) h1.textContent = event.title;
    root.dataset.locked = event.is_locked ? "1" : "";
    var reply = document.getElementById("reply");
    if (reply && root.dataset.isModerator !== "1") setLocked(reply, !!event.is_locked);
    document.querySelectorAll(".post").forEach(function (article) {
      var accepted = event.accepted_post_id && article.dataset.postId === String(event.accepted_post_id);
      article.classList.toggle("post--accepted", !!accepted);
      var mark = article.querySelector(".post__accepted-mark");
      if (mark) mark.hidden = !accepted;
    });
  }

  // Moderation moved, merged or split the thread: a notice, never a jump away from a reply
  // being typed. Merged: the posts are in another thread now, the notice leads there.
  function notice(message, href, linkText) {
    var el = root.querySelector("[data-live-moved]");
    if (!el) {
      el = document.createElement("p");
      el.className = "alert alert--warning";
      el.dataset.liveMoved = "1";
      el.setAttribute("role", "status");
      root.parentNode.insertBefore(el, root.nextSibling);
    }
    el.textContent = message + " ";
    if (href) {
      var link = document.createElement("a");
      link.href = href;
      link.textContent = linkText;
      el.appendChild(link);
    }
  }

  function onThreadMerged(event) {
    var url = String(event.url || "");
    if (url.charAt(0) !== "/" || url.charAt(1) === "/") url = "/onderwerp/" + parseInt(event.into_thread_id, 10) + "/";
    notice(text("Merged"), url, text("GoToMerged"));
    var reply = document.getElementById("reply");
    if (reply) reply.hidden = true;
  }

  function onPresence(event) {
    var names = event.readers.map(function (r) { return r.name; });
    var parts = names.slice();
    if (event.members) parts.push(text("Members", {n: event.members}));
    if (event.anonymous) parts.push(text("Anonymous", {n: event.anonymous}));
    presenceEl.textContent = parts.length ? text("Readers") + " " + parts.join(", ") : "";
  }

  function onTyping(event) {
    typingTimers[event.user_id] = {name: event.name, until: Date.now() + 6000};
    renderTyping();
    window.setTimeout(renderTyping, 6100);
  }

  function renderTyping() {
    var now = Date.now();
    var names = Object.keys(typingTimers).filter(function (id) {
      if (typingTimers[id].until < now) { delete typingTimers[id]; return false; }
      return true;
    }).map(function (id) { return typingTimers[id].name; });
    typingEl.textContent = names.length ? text("Typing", {name: names.join(", ")}) : "";
  }

  function resync() {
    fetch(window.location.pathname + "?page=" + (new URLSearchParams(window.location.search).get("page") || ""), {credentials: "same-origin"})
      .then(function (r) { return r.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("posts"), freshRoot = doc.getElementById("live-thread");
        if (fresh) { posts.replaceWith(fresh); posts = fresh; posts.querySelectorAll(".post").forEach(enableControls); }
        if (freshRoot) lastSeq = Math.max(lastSeq, parseInt(freshRoot.dataset.eventSeq, 10) || 0);
        setStatus("updated");
      });
  }

  function handle(event) {
    // hello.seq is where the thread stands, not an event: the replay of what this page
    // missed (everything after the last_seq it resumed from) is still to come.
    if (event.type === "hello") return;
    if (typeof event.seq === "number") {
      if (event.seq <= lastSeq) return;  // delivered twice: once is enough
      lastSeq = event.seq;
    }
    switch (event.type) {
      case "post.created": onPostCreated(event); break;
      case "post.edited": case "post.deleted": case "post.reactions": case "post.hidden": case "post.restored": replacePost(event); break;
      case "thread.updated": onThreadUpdated(event); break;
      case "thread.moved": notice(text("Moved"), window.location.pathname, text("ReloadMoved")); break;
      case "thread.merged": onThreadMerged(event); break;
      case "posts.merged": case "posts.split": resync(); break;
      case "presence": onPresence(event); break;
      case "typing": onTyping(event); break;
      case "resync": resync(); break;
      default: break;
    }
  }

  function connect() {
    live = window.LiveSocket.open({
      path: root.dataset.liveUrl,
      acceptedBy: "hello",
      onOpen: function () {
        live.send({type: "resume", last_seq: lastSeq});
        setStatus(everConnected ? "updated" : "live");
        everConnected = true;
      },
      onMessage: function (event) {
        if (event.type === "pong") {
          // The server sends what this socket missed before the pong; still behind means the
          // socket is not being served as it should: a new one resumes from the table.
          if (typeof event.seq === "number" && event.seq > lastSeq) live.restart();
          return;
        }
        handle(event);
      },
      onLost: function () { setStatus("offline"); }
    });
  }

  function setupReplyForm() {
    var form = document.querySelector("#reply form");
    if (!form) return;
    var body = form.querySelector("textarea");
    if (body) {
      body.addEventListener("input", function () {
        var now = Date.now();
        if (now - lastTyping > 3000 && live.send({type: "typing"})) lastTyping = now;
      });
    }
    form.addEventListener("submit", function (submit) {
      if (!window.fetch || root.dataset.lastPage !== "1") return;  // the plain form works too
      submit.preventDefault();
      var key = form.querySelector("input[name=idempotency_key]");
      form.dataset.pendingKey = key ? key.value : "";
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                          redirect: "manual", headers: {"X-Requested-With": "fetch"}})
        .then(function (response) {
          if (response.status === 202) {  // waiting for approval: no live echo, load the page
            return response.json().then(function (data) {
              var target = new URL(data.location, window.location.href);
              if (target.pathname + target.search === window.location.pathname + window.location.search) {
                window.location.hash = target.hash;
                window.location.reload();
              } else {
                window.location.assign(target.href);
              }
            });
          }
          // Success is the redirect to the new post; the live echo then shows it, once.
          if (response.type !== "opaqueredirect" && !response.ok) throw new Error(String(response.status));
          if (!live.isOpen()) resync();
          if (body) body.value = "";
          if (key) key.value = (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") : String(Date.now());
          var quote = form.querySelector("input[name=quote_of]");
          if (quote) quote.value = "";
        })
        .catch(function () {
          announceEl.textContent = text("PostFailed");
          form.submit();  // fall back to the plain form, which shows errors in place
        })
        .finally(function () { if (button) button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.getElementById("live-thread");
    posts = document.getElementById("posts");
    if (!root || !posts || !("WebSocket" in window) || !window.LiveSocket) return;
    root.hidden = false;
    statusEl = root.querySelector("[data-live-status]");
    pauseBtn = root.querySelector("[data-live-pause]");
    showBtn = root.querySelector("[data-live-show]");
    presenceEl = root.querySelector("[data-live-presence]");
    typingEl = root.querySelector("[data-live-typing]");
    announceEl = root.querySelector("[data-live-announce]");
    lastSeq = parseInt(root.dataset.eventSeq, 10) || 0;
    pauseBtn.addEventListener("click", function () {
      paused = !paused;
      pauseBtn.setAttribute("aria-pressed", paused ? "true" : "false");
      if (!paused) showHeld();
    });
    showBtn.addEventListener("click", showHeld);
    document.addEventListener("click", onControlClick);
    document.addEventListener("keydown", onControlKey);
    posts.querySelectorAll(".post").forEach(enableControls);
    window.addEventListener("scroll", function () {
      if (!paused && held.length && atBottom()) showHeld();
    }, {passive: true});
    setupReplyForm();
    connect();
  });
})();
