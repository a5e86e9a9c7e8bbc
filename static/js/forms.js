// Form helpers, only where a script runs (each form works without it):
//   - a practitioner <option data-offers="type ids"> is hidden while another type is chosen
//     in the same form (the server refuses the mismatch all the same);
//   - a form with data-busy="Finding free times..." says so on its submit button, and in
//     its [data-busy-status] region for screen readers, until the next page arrives.
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
