package cors_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cors"
)

func ExampleNew() {
	app := covet.New()
	app.GET("/tasks", func(c *covet.Context) error { return c.JSON(http.StatusOK, []string{"write docs"}) })
	app.POST("/tasks", func(c *covet.Context) error { return c.NoContent(http.StatusCreated) })

	err := app.Install(cors.New(
		cors.WithOrigins("https://app.example.com"),
		cors.WithCredentials(true),
		cors.WithMaxAge(10*time.Minute),
	))
	if err != nil {
		panic(err)
	}

	// The browser's preflight for a JSON POST.
	req := httptest.NewRequest("OPTIONS", "/tasks", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "content-type")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)

	fmt.Println(rec.Code)
	for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Credentials", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"} {
		fmt.Printf("%s: %s\n", h, rec.Header().Get(h))
	}
	// Output:
	// 204
	// Access-Control-Allow-Origin: https://app.example.com
	// Access-Control-Allow-Credentials: true
	// Access-Control-Allow-Methods: GET, HEAD, POST, OPTIONS
	// Access-Control-Allow-Headers: content-type
	// Access-Control-Max-Age: 600
	// Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers
}

// Example_frontEnd wires CORS for a single-page front end whose origin comes
// from configuration, with cookies (credentials) allowed, and keeps an
// internal group closed to cross-origin calls.
func Example_frontEnd() {
	frontEnd := os.Getenv("FRONTEND_ORIGIN") // e.g. https://board.example.com
	if frontEnd == "" {
		frontEnd = "http://localhost:5173" // the dev server
	}

	app := covet.New()
	if err := app.Install(cors.New(
		cors.WithOrigins(frontEnd),
		cors.WithCredentials(true),
		cors.WithHeaders("Content-Type", "Authorization", "X-Request-ID"),
		cors.WithExposedHeaders("X-Request-ID", "RateLimit", "RateLimit-Policy", "Retry-After"),
		cors.WithMaxAge(time.Hour),
	)); err != nil {
		panic(err)
	}
	api := app.Group("/api")
	api.GET("/tasks", func(c *covet.Context) error { return c.JSON(http.StatusOK, []string{}) })
	app.Group("/internal").With(cors.Disable()).GET("/stats", func(c *covet.Context) error { return c.Text(http.StatusOK, "ok") })

	for _, path := range []string{"/api/tasks", "/internal/stats"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Origin", frontEnd)
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Printf("%s: %d, allowed origin %v\n", path, rec.Code, rec.Header().Get("Access-Control-Allow-Origin") != "")
	}
	// Output:
	// /api/tasks: 200, allowed origin true
	// /internal/stats: 200, allowed origin false
}

// ExampleOverride gives a public group a policy of its own: any origin,
// no credentials.
func ExampleOverride() {
	app := covet.New()
	if err := app.Install(cors.New(cors.WithOrigins("https://app.example.com"), cors.WithCredentials(true))); err != nil {
		panic(err)
	}
	public := app.Group("/public").With(cors.Override(cors.WithOrigins("*"), cors.WithCredentials(false)))
	public.GET("/status", func(c *covet.Context) error { return c.Text(http.StatusOK, "up") })

	req := httptest.NewRequest("GET", "/public/status", nil)
	req.Header.Set("Origin", "https://anyone.example")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Header().Get("Access-Control-Allow-Origin"), rec.Header().Get("Access-Control-Allow-Credentials") == "")
	// Output: * true
}
