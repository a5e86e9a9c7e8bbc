// Installable: the service worker (served at /sw.js) keeps the page shell and an offline
// page; it never stores a page itself (pages carry medical data).
(function () {
  "use strict";
  var url = document.body.getAttribute("data-service-worker");
  if (!url || !("serviceWorker" in navigator)) { return; }
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(url, { scope: "/" }).catch(function () { /* offline page only */ });
  });
})();
