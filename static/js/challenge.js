// Solves the sign-in proof-of-work challenge (core/challenge.py): find a nonce such
// that SHA-256("<token>:<nonce>") starts with N zero bits, then fill the hidden field.
(function () {
  "use strict";
  var tokenInput = document.querySelector('input[name="challenge_token"]');
  var nonceInput = document.querySelector('input[name="challenge_nonce"]');
  var status = document.getElementById("challenge-status");
  var submit = document.getElementById("login-submit");
  if (!tokenInput || !nonceInput || !tokenInput.value) { return; }
  var bits = parseInt(tokenInput.getAttribute("data-difficulty-bits") || "0", 10);
  var encoder = new TextEncoder();

  function leadingZeroBits(bytes) {
    var count = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { count += 8; continue; }
      for (var mask = 0x80; mask > 0 && (bytes[i] & mask) === 0; mask >>= 1) { count++; }
      break;
    }
    return count;
  }

  async function solve() {
    if (submit) { submit.disabled = true; }
    for (var nonce = 0; ; nonce++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(tokenInput.value + ":" + nonce));
      if (leadingZeroBits(new Uint8Array(digest)) >= bits) {
        nonceInput.value = String(nonce);
        break;
      }
    }
    if (submit) { submit.disabled = false; }
    if (status) { status.textContent = status.getAttribute("data-done") || "Check complete."; }
  }
  solve();
})();
