// The idle sign-out warning: a minute before the session would end for lack of activity
// (the server's count: <body data-idle-seconds-left>), a dialog offers "Stay signed in",
// which records activity (POST data-keep-alive-url) and restarts the count. Tabs share the
// count through localStorage, so activity in one tab keeps the others quiet. When the time
// is up, the page reloads: the server signs the session out and asks to sign in again.
(function () {
  "use strict";
  var body = document.body;
  var dialog = document.getElementById("idle-warning");
  var left = parseInt(body.getAttribute("data-idle-seconds-left") || "", 10);
  if (!dialog || isNaN(left) || typeof dialog.showModal !== "function") { return; }
  var WARN_BEFORE_MS = 60000;
  var KEY = "hospital.idleDeadline";
  var keepAliveUrl = body.getAttribute("data-keep-alive-url");
  var warnTimer = null;
  var endTimer = null;
  var deadline = 0;

  function share(value) {
    try { window.localStorage.setItem(KEY, String(value)); } catch (error) { /* private mode */ }
  }

  function schedule(newDeadline) {
    deadline = newDeadline;
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    if (dialog.open) { dialog.close(); }
    warnTimer = window.setTimeout(warn, Math.max(0, deadline - Date.now() - WARN_BEFORE_MS));
    endTimer = window.setTimeout(function () { window.location.reload(); },
      Math.max(0, deadline - Date.now() + 1000));
  }

  function warn() {
    if (!dialog.open) { dialog.showModal(); }
  }

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function stay() {
    fetch(keepAliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() }
    }).then(function (response) {
      if (!response.ok) { throw new Error("signed out"); }
      return response.json();
    }).then(function (answer) {
      if (typeof answer.idle_seconds_left !== "number") { throw new Error("signed out"); }
      var next = Date.now() + answer.idle_seconds_left * 1000;
      share(next);
      schedule(next);
    }).catch(function () { window.location.reload(); });
  }

  dialog.querySelector("[data-stay-signed-in]").addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) { event.preventDefault(); stay(); });
  window.addEventListener("storage", function (event) {
    var shared = event.key === KEY ? parseInt(event.newValue || "", 10) : NaN;
    if (!isNaN(shared) && shared > deadline) { schedule(shared); }
  });
  var now = Date.now() + left * 1000;
  share(now);
  schedule(now);
})();
