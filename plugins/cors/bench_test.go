package cors_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/cors"
)

// benchApp is a plaintext app, with or without the CORS plugin configured
// as a typical credentialed front end uses it.
func benchApp(b *testing.B, withCORS bool) *covet.App {
	b.Helper()
	app := covet.New(covet.WithLogger(slog.New(slog.DiscardHandler)))
	app.GET("/plaintext", func(c *covet.Context) error { return c.Text(http.StatusOK, "Hello, World!") })
	app.PUT("/plaintext", func(c *covet.Context) error { return c.Text(http.StatusOK, "Hello, World!") })
	if withCORS {
		err := app.Install(cors.New(
			cors.WithOrigins("https://app.example.com", "https://*.example.org"),
			cors.WithCredentials(true),
			cors.WithHeaders("Content-Type", "X-Custom"),
			cors.WithExposedHeaders("X-Total"),
		))
		if err != nil {
			b.Fatal(err)
		}
	}
	return app
}

// recycledWriter is a ResponseWriter reused across iterations, so the
// benchmark measures the app, not httptest.ResponseRecorder's allocations.
type recycledWriter struct {
	h    http.Header
	code int
}

func (w *recycledWriter) Header() http.Header         { return w.h }
func (w *recycledWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *recycledWriter) WriteHeader(code int)        { w.code = code }

// BenchmarkPlaintext is a cross-origin GET from an allowed origin served
// in-process, without CORS (cors=off) and with it (cors=on; cors=wildcard
// matches a wildcard-subdomain origin), plus a preflight for reference.
// Compare with benchstat -col /cors.
func BenchmarkPlaintext(b *testing.B) {
	cases := []struct {
		name     string
		withCORS bool
		method   string
		headers  map[string]string
		want     int
	}{
		{"cors=off", false, "GET", map[string]string{"Origin": "https://app.example.com"}, 200},
		{"cors=on", true, "GET", map[string]string{"Origin": "https://app.example.com"}, 200},
		{"cors=wildcard", true, "GET", map[string]string{"Origin": "https://shop.example.org"}, 200},
		{"cors=preflight", true, "OPTIONS", map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "content-type,x-custom"}, 204},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			app := benchApp(b, tc.withCORS)
			req := httptest.NewRequest(tc.method, "/plaintext", nil)
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			w := &recycledWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				app.ServeHTTP(w, req)
				if w.code != tc.want {
					b.Fatalf("status %d", w.code)
				}
			}
		})
	}
}

// BenchmarkLoopback is the same GET over a real loopback connection
// (keep-alive), for the cost of a whole request.
func BenchmarkLoopback(b *testing.B) {
	for _, withCORS := range []bool{false, true} {
		name := "cors=off"
		if withCORS {
			name = "cors=on"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(benchApp(b, withCORS))
			defer srv.Close()
			client := srv.Client()
			req, _ := http.NewRequest("GET", srv.URL+"/plaintext", nil)
			req.Header.Set("Origin", "https://app.example.com")
			b.ReportAllocs()
			for b.Loop() {
				res, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
