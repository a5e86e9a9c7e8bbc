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
