// Werkplaats: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Session idle warning (WCAG 2.2.1): warn before the idle timeout ends, offer one click to
  // stay logged in, and keep every open tab in step through localStorage.
  function setupSessionWarning() {
    var body = document.body;
    var left = parseInt(body.dataset.sessionSecondsLeft, 10);
    if (isNaN(left)) return;
    var warnBefore = parseInt(body.dataset.sessionWarning, 10) || 120;
    var dialog = document.getElementById("session-warning");
    var countdown = dialog && dialog.querySelector("[data-session-countdown]");
    var button = dialog && dialog.querySelector("[data-session-keepalive]");
    var storageKey = "werkplaats-session-expires";
    var expiresAt = Date.now() + left * 1000;
    var previousFocus = null;
    var timer = null;

    function share() {
      try { localStorage.setItem(storageKey, String(expiresAt)); } catch (e) { /* private mode */ }
    }

    function hide() {
      if (!dialog.hidden) {
        dialog.hidden = true;
        if (previousFocus && previousFocus.focus) previousFocus.focus();
      }
    }

    function show() {
      if (dialog.hidden) {
        previousFocus = document.activeElement;
        dialog.hidden = false;
        button.focus();
      }
    }

    function tick() {
      var remaining = Math.round((expiresAt - Date.now()) / 1000);
      if (remaining <= 0) {
        window.location.href = body.dataset.loginUrl + "?next=" +
          encodeURIComponent(window.location.pathname + window.location.search);
        return;
      }
      if (remaining <= warnBefore) {
        countdown.textContent = String(remaining);
        show();
      } else {
        hide();
      }
    }

    function keepAlive() {
      var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
      fetch(body.dataset.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRFToken": csrf ? csrf.value : "", "Accept": "application/json"},
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!data.authenticated) { expiresAt = Date.now(); tick(); return; }
          expiresAt = Date.now() + data.seconds_left * 1000;
          share();
          hide();
        });
      }).catch(function () { /* offline: the next click will try again */ });
    }

    button.addEventListener("click", keepAlive);
    window.addEventListener("storage", function (event) {
      if (event.key === storageKey && event.newValue) {
        expiresAt = parseInt(event.newValue, 10);
        tick();
      }
    });
    share();
    timer = window.setInterval(tick, 1000);
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSessionWarning();
  });
})();
