package middleware_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

// quietApp returns a production app whose logs go nowhere, so the examples
// print only what they show.
func quietApp() *covet.App {
	return covet.New(covet.WithDevelopment(false), covet.WithLogger(slog.New(slog.DiscardHandler)))
}

func do(app http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	return rec
}

func ExampleRecover() {
	app := quietApp()
	app.Use(middleware.Recover())
	app.GET("/boom", func(c *covet.Context) error {
		var m map[string]int
		//lint:ignore SA5000 the example panics on purpose.
		m["x"] = 1 // panics: assignment to entry in nil map
		return nil
	})
	rec := do(app, "GET", "/boom")
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 500 application/problem+json
	// {"type":"about:blank","title":"Internal Server Error","status":500,"instance":"/boom"}
}

func ExampleRequestID() {
	app := quietApp()
	app.Use(middleware.RequestID())
	app.GET("/", func(c *covet.Context) error {
		c.Logger().Info("handling") // this record carries request_id=from-proxy-42
		return c.Text(200, "request "+c.RequestID())
	})
	rec := do(app, "GET", "/", "X-Request-ID", "from-proxy-42")
	fmt.Println(rec.Header().Get("X-Request-ID"))
	fmt.Println(rec.Body.String())

	rec = do(app, "GET", "/") // no incoming ID: a new one is made
	fmt.Println(len(rec.Header().Get("X-Request-ID")))
	// Output:
	// from-proxy-42
	// request from-proxy-42
	// 32
}

func ExampleAccessLog() {
	// A text logger without the time and duration, so the output is stable.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	app := covet.New(covet.WithDevelopment(false), covet.WithLogger(logger))
	app.Use(middleware.RequestID(), middleware.AccessLog(
		// Keep successful health checks out of the log.
		middleware.WithAccessLogSkip(func(c *covet.Context) bool {
			return c.Request().URL.Path == "/healthz" && c.Response().Status() < 400
		}),
	))
	app.GET("/healthz", func(c *covet.Context) error { return c.NoContent(204) })
	app.GET("/users/{id:int}", func(c *covet.Context) error { return c.Text(200, "user "+c.Param("id")) })

	do(app, "GET", "/healthz")
	do(app, "GET", "/users/7", "X-Request-ID", "req-7", "User-Agent", "curl/8.5")
	do(app, "GET", "/users/x", "X-Request-ID", "req-8", "User-Agent", "curl/8.5")
	// Output:
	// level=INFO msg=request method=GET route=/users/{id:int} path=/users/7 status=200 bytes=6 request_id=req-7 remote_ip=192.0.2.1 user_agent=curl/8.5
	// level=WARN msg=request method=GET route="" path=/users/x status=404 bytes=135 request_id=req-8 remote_ip=192.0.2.1 user_agent=curl/8.5
}

func ExampleSecureHeaders() {
	app := quietApp()
	app.Use(middleware.SecureHeaders(
		middleware.WithCSP("default-src 'self'; frame-ancestors 'none'"),
		middleware.WithPermissionsPolicy("camera=(), microphone=()"),
		middleware.WithTrustedProxies("10.0.0.0/8"), // the load balancer terminating TLS
	))
	app.GET("/", func(c *covet.Context) error { return c.HTML(200, "<p>hi</p>") })

	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr = "10.0.0.2:41000"
	req.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range rec.Header() {
			if k != "Content-Type" && k != "Content-Length" && !yield(k) {
				return
			}
		}
	}) {
		fmt.Printf("%s: %s\n", k, rec.Header().Get(k))
	}
	// Output:
	// Content-Security-Policy: default-src 'self'; frame-ancestors 'none'
	// Cross-Origin-Opener-Policy: same-origin-allow-popups
	// Permissions-Policy: camera=(), microphone=()
	// Referrer-Policy: strict-origin-when-cross-origin
	// Strict-Transport-Security: max-age=63072000; includeSubDomains
	// X-Content-Type-Options: nosniff
	// X-Frame-Options: DENY
}

func ExampleTiming() {
	app := quietApp()
	app.Use(middleware.Timing())
	app.GET("/", func(c *covet.Context) error {
		// ... work ...
		c.Logger().Info("so far", "elapsed", middleware.Elapsed(c))
		return c.Text(200, "ok")
	})
	rec := do(app, "GET", "/")
	fmt.Println(strings.HasPrefix(rec.Header().Get("Server-Timing"), "total;dur="))
	// Output:
	// true
}

func ExampleBodyLimit() {
	app := quietApp()
	app.Use(middleware.BodyLimit(1 << 20)) // 1 MiB for every route
	app.POST("/notes", func(c *covet.Context) error {
		var note struct{ Text string }
		if err := c.Bind(&note); err != nil {
			return err // a body over the limit answers 413
		}
		return c.NoContent(204)
	}, middleware.BodyLimit(16)) // and 16 bytes for this one

	req := httptest.NewRequest("POST", "/notes", strings.NewReader(`{"Text":"far too long for sixteen bytes"}`))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	fmt.Println(rec.Body.String())
	// Output:
	// 413
	// {"type":"about:blank","title":"Request Entity Too Large","status":413,"detail":"the request body is larger than the limit of 16 bytes","instance":"/notes"}
}

func ExampleTimeout() {
	app := quietApp()
	app.GET("/report", func(c *covet.Context) error {
		select {
		case <-time.After(time.Minute): // a slow query, say
			return c.Text(200, "report")
		case <-c.Context().Done(): // canceled at the deadline
			return c.Context().Err()
		}
	}, middleware.Timeout(50*time.Millisecond))

	rec := do(app, "GET", "/report")
	fmt.Println(rec.Code)
	fmt.Println(rec.Body.String())
	// Output:
	// 503
	// {"type":"about:blank","title":"Service Unavailable","status":503,"detail":"the request did not finish within 50ms","instance":"/report"}
}

func ExampleAllowedHosts() {
	app := quietApp()
	app.Pre(middleware.AllowedHosts("example.com", "*.example.com", "localhost:8080"))
	app.GET("/", func(c *covet.Context) error { return c.Text(200, "hello") })
	for _, host := range []string{"example.com", "api.example.com", "localhost:8080", "evil.test"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Host = host
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		fmt.Println(host, rec.Code)
	}
	// Output:
	// example.com 200
	// api.example.com 200
	// localhost:8080 200
	// evil.test 400
}

type requestUser struct{}

// Standard func(http.Handler) http.Handler middleware (chi's, gorilla's,
// rs/cors, your own) works unchanged through covet.WrapMiddleware, and a
// plain http.Handler serves a route through covet.WrapHandler.
func Example_standardMiddleware() {
	// A standard middleware: a response header and a request context value.
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Authenticated", "yes")
			ctx := context.WithValue(r.Context(), requestUser{}, "ada")
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
	app := quietApp()
	app.Use(middleware.RequestID(), covet.WrapMiddleware(auth))
	app.GET("/me", func(c *covet.Context) error {
		return c.Text(200, "covet handler: "+c.Context().Value(requestUser{}).(string))
	})
	app.GET("/legacy", covet.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "plain handler: ", r.Context().Value(requestUser{}))
	})))
	for _, path := range []string{"/me", "/legacy"} {
		rec := do(app, "GET", path)
		fmt.Println(rec.Header().Get("X-Authenticated"), rec.Body.String())
	}
	// Output:
	// yes covet handler: ada
	// yes plain handler: ada
}

// batchPrinter stands for a log file: it says what each write brings.
type batchPrinter struct{}

func (batchPrinter) Write(p []byte) (int, error) {
	fmt.Printf("one write: %d lines\n", strings.Count(string(p), "\n"))
	return len(p), nil
}

// A BufferedLogWriter installed in the app writes the access log in
// batches (every 100 ms by default), and what remains at the app's Stop.
func ExampleNewBufferedLogWriter() {
	logs := middleware.NewBufferedLogWriter(batchPrinter{}, middleware.WithLogFlushInterval(time.Hour))
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	if err := app.Install(logs); err != nil { // the app's Stop flushes it
		panic(err)
	}
	app.Use(middleware.AccessLog(middleware.WithAccessLogWriter(logs)))
	app.GET("/", func(c *covet.Context) error { return c.Text(http.StatusOK, "hello") })
	if err := app.Start(context.Background()); err != nil {
		panic(err)
	}
	for range 3 {
		app.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	fmt.Println("served 3 requests")
	_ = app.Stop(context.Background())
	// Output:
	// served 3 requests
	// one write: 3 lines
}
