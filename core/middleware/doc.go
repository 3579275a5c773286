// Package middleware holds Covet's built-in middleware: panic recovery,
// request IDs, access logging on log/slog, OWASP security headers,
// Server-Timing, request body limits, handler timeouts and allowed hosts.
//
// Each middleware is a function returning a covet.Middleware; those that can
// be configured take functional options of their own type (RequestIDOption,
// AccessLogOption, SecureHeadersOption, TimeoutOption), named WithX, so an
// option of one middleware cannot be passed to another.
//
// A typical application uses them in this order (the first is the outermost):
//
//	app.Pre(middleware.AllowedHosts("example.com", "*.example.com"))
//	app.Use(
//		middleware.RequestID(),    // first, so every later log line carries the ID
//		middleware.Timing(),       // measures everything below
//		middleware.AccessLog(),    // one record per request, with the final status
//		middleware.Recover(),      // panics become 500s the access log sees
//		middleware.SecureHeaders(),
//		middleware.BodyLimit(10<<20),
//	)
//	app.POST("/reports", buildReport, middleware.Timeout(30*time.Second))
//
// Every middleware here is also usable at group and route level, and any
// standard func(http.Handler) http.Handler middleware can sit beside them
// through covet.WrapMiddleware.
package middleware
