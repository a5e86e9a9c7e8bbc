// Live updates over /ws/notifications/ (notifications/consumers.py): the bell's unread count
// ([data-unread-count]) and a polite announcement of each new notification; on the staff
// pages, the list in [data-live] is fetched again when the schedule it shows changes.
// Reconnects with backoff. No framework, no build step.
(function () {
  "use strict";
  if (window.hospitalLive || !("WebSocket" in window)) { return; }
  // Only signed-in pages have the bell or a live list: nobody else may open the socket.
  if (!document.querySelector("[data-unread-count], [data-bell], [data-live]")) { return; }

  var NOT_SIGNED_IN = 4401;
  var PING_MS = 25000;
  var TOAST_MS = 8000;
  var container = document.querySelector("[data-live]");
  var live = { socket: null, connected: false, received: [] };
  window.hospitalLive = live;

  var attempts = 0;
  var greeted = false;
  var pingTimer = null;
  var retryTimer = null;
  var refreshing = false;
  var refreshAgain = false;
  var refreshWhenFocusLeaves = false;

  function words(attribute) {
    var value = container ? container.getAttribute(attribute) || "" : "";
    return value.split(/\s+/).filter(Boolean);
  }

  // --- The bell and the announcements

  function setUnread(count) {
    if (typeof count !== "number" || count < 0) { return; }
    var elements = document.querySelectorAll("[data-unread-count]");
    for (var i = 0; i < elements.length; i++) {
      var element = elements[i];
      element.setAttribute("data-unread-count", String(count));
      element.textContent = count ? String(count) : "";
      element.hidden = !count;
      var bell = element.closest("[data-bell]");
      if (bell) { bell.setAttribute("aria-label", count ? "Notifications, " + count + " unread" : "Notifications"); }
    }
  }

  // Created once, empty, so that screen readers know the region before it speaks.
  var toast = document.createElement("div");
  toast.className = "messages live-toast";
  toast.setAttribute("role", "status");
  toast.setAttribute("aria-live", "polite");
  toast.setAttribute("data-live-toast", "");
  toast.style.position = "fixed";
  toast.style.right = "1rem";
  toast.style.bottom = "1rem";
  toast.style.maxWidth = "24rem";
  toast.style.zIndex = "10";
  toast.style.margin = "0";
  document.body.appendChild(toast);
  var toastTimer = null;

  function announce(text, link) {
    var message = document.createElement("p");
    message.className = "message";
    message.style.margin = "0";
    message.style.boxShadow = "0 2px 8px rgba(0, 0, 0, .15)";
    if (link && link.charAt(0) === "/" && link.charAt(1) !== "/") {
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.textContent = text;
      message.appendChild(anchor);
    } else {
      message.textContent = text;
    }
    toast.replaceChildren(message);
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { toast.replaceChildren(); }, TOAST_MS);
  }

  // --- The live list (schedule, reception)

  function focusInside() {
    var active = document.activeElement;
    return !!(container && active && active !== document.body && container.contains(active));
  }

  function refresh() {
    if (!container) { return; }
    // Never pull a control from under the person using it (a check-in button on a row that
    // moves): wait until focus leaves the list.
    if (focusInside()) { refreshWhenFocusLeaves = true; return; }
    if (refreshing) { refreshAgain = true; return; }
    refreshing = true;
    var kind = container.getAttribute("data-live");
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // Signed out meanwhile: the next page load shows the sign-in page; keep what is here.
        if (!response.ok || response.redirected) { throw new Error("not refreshed"); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.querySelector('[data-live="' + kind + '"]');
        if (!fresh) { return; }
        if (focusInside()) { refreshWhenFocusLeaves = true; return; }
        container.replaceChildren.apply(container, Array.prototype.slice.call(fresh.childNodes));
        container.setAttribute("data-live-refreshed", String(Date.now()));
        // The words come from the page, in its language (data-live-announce).
        announce(container.getAttribute("data-live-announce") || "Updated.");
      })
      .catch(function () { /* the page stays as it was; the next change tries again */ })
      .then(function () {
        refreshing = false;
        if (refreshAgain) { refreshAgain = false; refresh(); }
      });
  }

  if (container) {
    container.addEventListener("focusout", function (event) {
      if (refreshWhenFocusLeaves && !container.contains(event.relatedTarget)) {
        refreshWhenFocusLeaves = false;
        refresh();
      }
    });
  }

  function concernsThisPage(message) {
    if (!container || words("data-live-days").indexOf(message.day) < 0) { return false; }
    if (container.getAttribute("data-live") === "reception") { return true; }
    return words("data-live-practitioners").indexOf(message.practitioner) >= 0;
  }

  // --- The socket

  function send(message) {
    if (live.socket && live.socket.readyState === WebSocket.OPEN) { live.socket.send(JSON.stringify(message)); }
  }

  function onMessage(event) {
    var message;
    try { message = JSON.parse(event.data); } catch (error) { return; }
    live.received.push(message.type);
    if (message.type === "hello") {
      attempts = 0;
      live.connected = true;
      setUnread(message.unread_count);
      var watched = words("data-live-practitioners");
      if (watched.length) { send({ type: "watch", practitioners: watched }); }
      // Back after a break: whatever changed meanwhile was not pushed.
      if (greeted) { refresh(); }
      greeted = true;
    } else if (message.type === "notification" && message.notification) {
      setUnread(message.notification.unread_count);
      announce(message.notification.title, message.notification.link);
    } else if (message.type === "unread_count") {
      setUnread(message.unread_count);
    } else if (message.type === "schedule.changed" && concernsThisPage(message)) {
      refresh();
    }
  }

  function retryLater() {
    // 1, 2, 4 ... 60 s, with jitter so that a restarted server is not called by every page
    // at once; after many failures in a row (signed out, or the server away), every 5 minutes.
    var ceiling = attempts > 8 ? 300000 : 60000;
    var delay = Math.min(ceiling, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + "/ws/notifications/");
    live.socket = socket;
    socket.addEventListener("open", function () {
      clearInterval(pingTimer);
      pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_MS);
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      clearInterval(pingTimer);
      live.connected = false;
      if (live.socket !== socket) { return; }
      // The session ended (signed out elsewhere): no point in calling again from this page.
      if (event.code === NOT_SIGNED_IN) { return; }
      retryLater();
    });
  }

  window.addEventListener("online", function () {
    if (!live.socket || live.socket.readyState === WebSocket.CLOSED) {
      attempts = 0;
      clearTimeout(retryTimer);
      connect();
    }
  });
  connect();
})();
