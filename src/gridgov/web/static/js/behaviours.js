// Small page behaviours declared by data attributes, so that no page needs an inline script or an
// on* attribute (the Content-Security-Policy allows scripts from the platform's own files only).
// Delegated from the document, so they also hold for fragments swapped in by htmx.
(function () {
  "use strict";
  // <select data-autosubmit>: choosing a value submits its form (language, building, salary scale).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLElement && el.hasAttribute("data-autosubmit") && el.form) el.form.submit();
  });
  // <form data-disable-on-submit>: its buttons are disabled once it is sent (no double submission).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-disable-on-submit")) return;
    setTimeout(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // <input data-enter-stays>: Enter in a search-as-you-type box does not submit the surrounding form.
  document.addEventListener("keydown", function (event) {
    var el = event.target;
    if (event.key === "Enter" && el instanceof HTMLElement && el.hasAttribute("data-enter-stays")) {
      event.preventDefault();
    }
  });
})();
