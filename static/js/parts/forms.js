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
