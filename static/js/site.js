// Built from static/js/parts/ by `make assets` (manage.py build_assets): edit the parts.
// Each part starts on its own and does nothing on a page without its elements.

// --- idle.js ---
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

// --- live.js ---
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

// --- forms.js ---
// Form helpers, only where a script runs (each form works without it):
//   - a practitioner <option data-offers="type ids"> is hidden while another type is chosen
//     in the same form (the server refuses the mismatch all the same);
//   - a form with data-busy="Finding free times..." says so on its submit button, and in
//     its [data-busy-status] region for screen readers, until the next page arrives;
//   - a form with data-auto-submit (the schedule's filters) is sent when a field changes.
(function () {
  "use strict";
  var forEach = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  forEach(document.querySelectorAll("form"), function (form) {
    var type = form.querySelector('select[name="appointment_type"]');
    var who = form.querySelector('select[name="practitioner"]');
    if (!type || !who || !who.querySelector("option[data-offers]")) { return; }
    var filter = function () {
      var chosen = type.value;
      forEach(who.options, function (option) {
        if (!option.hasAttribute("data-offers")) { return; }
        var offers = (" " + option.getAttribute("data-offers") + " ").indexOf(" " + chosen + " ") >= 0;
        option.hidden = option.disabled = Boolean(chosen) && !offers;
      });
      if (who.selectedOptions.length && who.selectedOptions[0].disabled) { who.value = ""; }
    };
    type.addEventListener("change", filter);
    filter();
  });

  // Filters that apply as soon as one is chosen (the page says so; Show still works).
  forEach(document.querySelectorAll("form[data-auto-submit]"), function (form) {
    var hint = form.querySelector("[data-auto-submit-hint]");
    if (hint) { hint.hidden = false; }
    forEach(form.querySelectorAll("select, input"), function (field) {
      field.addEventListener("change", function () {
        // A date still being typed ("0002-..." after the year's first digit) waits.
        if (field.type === "date" && !/^(19|20)\d\d-/.test(field.value)) { return; }
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    });
  });

  forEach(document.querySelectorAll("form[data-busy]"), function (form) {
    var button = form.querySelector('button[type="submit"], button:not([type])');
    var status = form.querySelector("[data-busy-status]");
    if (!button) { return; }
    var idle = button.textContent;
    form.addEventListener("submit", function (event) {
      if (button.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      button.setAttribute("aria-busy", "true");
      button.textContent = form.getAttribute("data-busy");
      if (status) { status.textContent = form.getAttribute("data-busy"); }
    });
    // Back to a page kept in the browser's cache: ready again.
    window.addEventListener("pageshow", function () {
      button.removeAttribute("aria-busy");
      button.textContent = idle;
      if (status) { status.textContent = ""; }
    });
  });
})();

// --- page_actions.js ---
// Buttons that need a script, shown only when it runs (pages work without it):
//   [data-print]               prints the page (the print stylesheet keeps only the content);
//   [data-copy="<selector>"]   copies the element's text, then says so in [data-copy-status].
(function () {
  "use strict";
  var status = document.querySelector("[data-copy-status]");
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  if (!navigator.clipboard) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("[data-copy]"), function (button) {
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.innerText.trim() + "\n").then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied") || "Copied"; }
      });
    });
  });
})();

// --- swap.js ---
// In-page updates where a page asks for them; each still works without a script, as the
// ordinary link or form it is:
//   <section data-swap-region="NAME"> ... <a data-swap href=...> or <form data-swap> ...
// The link's page is fetched (or the form posted), and the region of the same name in the
// answer replaces this one, with the bell's count; a link's address goes to the address bar.
// The new region's first heading takes the focus after a link, the region itself after a
// form, and [data-swap-status] says what changed. Anything unexpected: an ordinary load.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser || !document.querySelector("[data-swap-region]")) { return; }
  var status = document.querySelector("[data-swap-status]");

  function swap(region, html, url, viaLink) {
    var name = region.getAttribute("data-swap-region");
    var page = new DOMParser().parseFromString(html, "text/html");
    var fresh = page.querySelector('[data-swap-region="' + name + '"]');
    if (!fresh) { window.location.assign(url); return; }
    region.replaceWith(fresh);
    var count = page.querySelector("[data-bell]");
    var bell = document.querySelector("[data-bell]");
    if (count && bell) { bell.replaceWith(count); }
    if (viaLink) {
      document.title = page.title;
      window.history.pushState({ swapped: true }, "", url);
    }
    var target = viaLink ? fresh.querySelector("h1, h2, h3") || fresh : fresh;
    target.setAttribute("tabindex", "-1");
    target.focus();
    if (status) { status.textContent = fresh.getAttribute("data-swap-announce") || "Updated."; }
  }

  function load(region, url, options, fallback, viaLink) {
    region.setAttribute("aria-busy", "true");
    fetch(url, options).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.text().then(function (html) { swap(region, html, response.url, viaLink); });
    }).catch(fallback);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-swap]") : null;
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }
    var region = link.closest("[data-swap-region]");
    if (!region) { return; }
    event.preventDefault();
    load(region, link.href, { credentials: "same-origin", headers: { Accept: "text/html" } },
      function () { window.location.assign(link.href); }, true);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-swap") || event.defaultPrevented) { return; }
    var region = form.closest("[data-swap-region]");
    if (!region) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    load(region, form.action || window.location.href,
      { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "text/html" } },
      function () { form.submit(); }, false);
  });

  // Back and forward over swapped pages: load what the address says.
  window.addEventListener("popstate", function (event) {
    if (event.state && event.state.swapped) { window.location.reload(); }
  });
})();

// --- install.js ---
// Installable: the service worker (served at /sw.js) keeps the page shell and an offline
// page; it never stores a page itself (pages carry medical data). When the page's language is
// not the one the offline page was kept in (the person switched), the worker fetches it again.
(function () {
  "use strict";
  var url = document.body.getAttribute("data-service-worker");
  if (!url || !("serviceWorker" in navigator)) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () { /* offline page only */ });
    navigator.serviceWorker.ready.then(function (registration) {
      var KEY = "hospital.offlineLanguage";
      var language = document.documentElement.lang;
      var kept = null;
      try { kept = window.localStorage.getItem(KEY); } catch (error) { /* private mode */ }
      if (kept === language || !registration.active) { return; }
      registration.active.postMessage("refresh-offline-page");
      try { window.localStorage.setItem(KEY, language); } catch (error) { /* private mode */ }
    });
  });
})();
