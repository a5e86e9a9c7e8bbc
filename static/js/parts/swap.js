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
