// The hospital's service worker (hospital/installable.py). Keeps the page shell and the
// offline page; never stores a page, a response to a form or anything from the API: those
// carry medical data and always come from the network.
"use strict";
const CACHE = "shell-{{ version }}";
const SHELL = {{ shell|safe }};
const OFFLINE = {{ offline_url|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim())
  );
});

// A page in another language than the kept offline page asks for it again (static/js/parts/
// install.js): fetched with the person's cookies, so it comes in their language.
self.addEventListener("message", (event) => {
  if (event.data !== "refresh-offline-page") { return; }
  event.waitUntil(
    fetch(OFFLINE, { cache: "no-store", credentials: "same-origin" })
      .then((response) => response.ok ? caches.open(CACHE).then((cache) => cache.put(OFFLINE, response)) : null)
      .catch(() => null)
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") { return; }
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    // From the network only; the offline page when there is none.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  }
});
