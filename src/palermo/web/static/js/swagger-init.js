// Swagger UI for /docs, started from this file rather than an inline script (the CSP
// allows scripts from this node only). The session cookie authenticates "Try it out".
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
