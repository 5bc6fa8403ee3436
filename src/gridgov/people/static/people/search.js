// A whole ID-card or mobile number typed in the resident search box goes by POST, so it never appears in an
// address, a server log or the browser history; every other search stays a GET whose address can be shared.
(function () {
  "use strict";
  var WHOLE = /^(\d{17}[\dXx]|\d{15}|1\d{10})$/;
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-post-whole-ids]")) return;
    var q = String(event.detail.parameters.q || "").replace(/\s+/g, "");
    if (WHOLE.test(q)) {
      event.detail.verb = "post";
      event.detail.useUrlParams = false;
      // htmx chose the headers for a GET, which has no body type: say what the body is.
      event.detail.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8";
    }
  });
})();
