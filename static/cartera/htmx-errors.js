/* When an htmx request fails (a server error, a refusal, no network, a timeout), htmx swaps
   nothing and the page stays as it was: a result button clicked on the call list looked logged
   when it was not. This says so in the element the request would have replaced (the card),
   with the words the page wrote on <body data-htmx-error-*>; the next answer that replaces the
   element takes the message away. A table whose figures load after the page
   (data-report-deferred, reports.js) says it in its own cells instead. */
(function () {
  "use strict";
  // Elements that cannot hold a <div>: the message goes just before their table or list.
  var NO_DIV = /^(TABLE|THEAD|TBODY|TFOOT|TR|UL|OL|SELECT)$/;

  function words(status) {
    var body = document.body.dataset;
    if (!status) return body.htmxErrorNetwork;
    return status >= 500 ? body.htmxErrorServer : body.htmxErrorRefused;
  }

  function place(target) {
    if (!NO_DIV.test(target.tagName)) return { parent: target, before: target.firstChild };
    var outer = target.closest("table, ul, ol, select") || target;
    return { parent: outer.parentNode, before: outer };
  }

  function fail(event) {
    var detail = event.detail || {};
    var elt = detail.elt;
    if (!elt || !elt.closest || elt.closest("[data-report-deferred]")) return;
    var target = detail.target && detail.target.isConnected ? detail.target : elt;
    if (target === document.body) target = document.querySelector("main") || target;
    var xhr = detail.xhr;
    var text = words(event.type === "htmx:responseError" && xhr ? xhr.status : 0);
    var spot = place(target);
    var box = spot.parent.querySelector(":scope > [data-htmx-error]");
    if (!box) {
      box = document.createElement("div");
      box.className = "alert alert-danger py-1 px-2 small mb-2";
      box.setAttribute("role", "alert");
      box.setAttribute("data-htmx-error", "");
      box.setAttribute("data-testid", "htmx-error");
      spot.parent.insertBefore(box, spot.before);
    }
    box.textContent = text;
    box.htmxSource = elt;
  }

  document.addEventListener("htmx:responseError", fail);
  document.addEventListener("htmx:sendError", fail);
  document.addEventListener("htmx:timeout", fail);
  // A later answer that swaps elsewhere (or nothing) still clears its element's message.
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!event.detail || !event.detail.successful) return;
    document.querySelectorAll("[data-htmx-error]").forEach(function (box) {
      if (box.htmxSource === event.detail.elt) box.remove();
    });
  });
})();
