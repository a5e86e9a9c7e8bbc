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
