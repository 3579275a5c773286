// Starts ReDoc on the page's #redoc element, reading the document URL from
// its data-spec-url attribute. Served as a file (not inline) so the page
// runs under script-src 'self'. Part of the covet openapi plugin.
(function () {
  "use strict";
  var el = document.getElementById("redoc");
  Redoc.init(el.getAttribute("data-spec-url"), {}, el);
})();
