// Starts Swagger UI on the page's #swagger-ui element, reading the document
// URL from its data-spec-url attribute. Served as a file (not inline) so the
// page runs under script-src 'self'. Part of the covet openapi plugin.
(function () {
  "use strict";
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "BaseLayout",
    // The OAuth2 redirect page served beside the assets (absolute: it is
    // the redirect_uri the authorization server sends the popup back to).
    oauth2RedirectUrl: new URL(el.getAttribute("data-oauth2-redirect-url"), location.href).href,
    // No badge from validator.swagger.io: the page talks to its own origin only.
    validatorUrl: null
  });
})();
