// Package covet is the core of the Covet web framework: an App that is an
// http.Handler, a router on julienschmidt/httprouter with FastAPI-style
// patterns, a pooled Context with request and response helpers, middleware,
// RFC 9457 errors, a plugin hook interface, graceful serving and static
// files. Plugins (ORM, auth, CORS, rate limits, OpenAPI, WebSocket, caching,
// templates) are separate modules that build on this package's public API.
//
// Typed handlers (Get, Post, HandleTyped, Bind) are a thin adapter here over
// the engine in core/internal/binding; the JSON Schema that documentation
// plugins publish for them is package github.com/covetgo/covet/core/schema.
// The router's matcher (httprouter trees, layers, converters, path cleaning)
// is core/internal/router; static file serving and forwarding headers are
// core/internal/static and core/internal/forwarded.
//
//	app := covet.New()
//	app.GET("/users/{id:int}", func(c *covet.Context) error {
//		id, _ := c.ParamInt("id")
//		return c.JSON(http.StatusOK, map[string]int{"id": id})
//	})
//	if err := app.Run("127.0.0.1:8080"); err != nil { // nil after a clean shutdown
//		log.Fatal(err)
//	}
package covet
