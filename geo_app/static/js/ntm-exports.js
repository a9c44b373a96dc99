/* Export helpers (no inline handlers, CSP-safe): the print button and the copyable <iframe> snippet. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("[data-ntm-print],[data-ntm-copy]") : null;
    if (!target) return;
    if (target.hasAttribute("data-ntm-print")) {
      window.print();
      return;
    }
    var field = document.getElementById(target.getAttribute("data-ntm-copy"));
    if (!field) return;
    var status = document.getElementById(target.getAttribute("data-ntm-status") || "");
    var done = function (ok) {
      if (status) status.textContent = ok ? target.getAttribute("data-ok") : target.getAttribute("data-fail");
    };
    field.focus();
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });
})();
