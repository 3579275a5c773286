// Package cors implements Cross-Origin Resource Sharing for Covet apps,
// exactly as the Fetch standard's CORS protocol describes it.
//
// Install the plugin once; it answers preflight requests (OPTIONS with
// Access-Control-Request-Method) for every route path of the app, with the
// methods the router has for that path, and adds the CORS headers to actual
// requests from allowed origins:
//
//	app := covet.New()
//	err := app.Install(cors.New(
//		cors.WithOrigins("https://app.example.com", "https://*.example.com"),
//		cors.WithCredentials(true),
//		cors.WithHeaders("Content-Type", "Authorization"),
//		cors.WithExposedHeaders("X-Total-Count"),
//		cors.WithMaxAge(10*time.Minute),
//	))
//
// The plugin's middleware sits at covet.PhaseEdge, outside the app's own
// middleware and the guards, so preflights are answered before authentication or rate
// limits run, and their refusals carry CORS headers the page can read.
//
// Groups and routes can carry their own policy, built on top of the plugin's
// options, or none at all:
//
//	public := app.Group("/public").With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(false)))
//	admin := app.Group("/admin").With(cors.Disable())
//
// The rules it follows:
//
//   - A request from an origin that is not allowed gets no CORS headers and
//     is otherwise served normally: the browser, not the server, withholds
//     the response from the page.
//   - The origin "null" (sandboxed frames, file: pages, some redirects) is
//     never echoed unless listed explicitly with WithOrigins("null"); an
//     origin function is never asked about it. (A public "*" policy is a
//     fixed answer for everyone, "null" included.)
//   - With credentials, Access-Control-Allow-Origin echoes the request's
//     origin, never "*"; "*" together with credentials is a configuration error.
//   - Vary lists Origin whenever the answer depends on it, and preflight
//     answers also vary on Access-Control-Request-Method and
//     Access-Control-Request-Headers (and on
//     Access-Control-Request-Private-Network when private network access is on).
//
// Middleware offers the same behaviour as plain middleware, for apps that do
// not install plugins or that need CORS on one group only.
package cors
