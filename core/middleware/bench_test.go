package middleware_test

// Benchmarks of each built-in middleware against the bare plaintext route,
// in-process and over loopback. Run and compare (see README.md):
//
//	go test -run '^$' -bench . -benchmem -count 8 ./middleware > mw.txt
//	benchstat -col /mw mw.txt
//
// Besides ns/op they report cpu-ns/op, the process's CPU time per request
// (client included over loopback), which a busy machine disturbs less.

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

type benchCase struct {
	name   string
	method string // GET unless set
	logger func(b *testing.B) *slog.Logger
	setup  func(app *covet.App)
}

func jsonTo(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func devNullLogger(b *testing.B) *slog.Logger {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return jsonTo(f)
}

// stdHeader is a typical standard middleware, adapted with covet.WrapMiddleware.
func stdHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["X-Std"] = []string{"1"}
		next.ServeHTTP(w, r)
	})
}

var benchCases = []benchCase{
	{name: "bare"},
	{name: "Recover", setup: func(a *covet.App) { a.Use(middleware.Recover()) }},
	{name: "RequestID", setup: func(a *covet.App) { a.Use(middleware.RequestID()) }},
	{name: "AccessLog", logger: func(*testing.B) *slog.Logger { return jsonTo(io.Discard) },
		setup: func(a *covet.App) { a.Use(middleware.AccessLog()) }},
	{name: "AccessLogDevNull", logger: devNullLogger, setup: func(a *covet.App) { a.Use(middleware.AccessLog()) }},
	{name: "AccessLogWriter", setup: func(a *covet.App) { a.Use(middleware.AccessLog(middleware.WithAccessLogWriter(io.Discard))) }},
	{name: "SecureHeaders", setup: func(a *covet.App) { a.Use(middleware.SecureHeaders()) }},
	{name: "Timing", setup: func(a *covet.App) { a.Use(middleware.Timing()) }},
	{name: "BodyLimit", setup: func(a *covet.App) { a.Use(middleware.BodyLimit(1 << 20)) }},
	{name: "barePOST", method: "POST"},
	{name: "BodyLimitPOST", method: "POST", setup: func(a *covet.App) { a.Use(middleware.BodyLimit(1 << 20)) }},
	{name: "Timeout", setup: func(a *covet.App) { a.Use(middleware.Timeout(time.Minute)) }},
	// For comparison: net/http's TimeoutHandler (a goroutine and a buffered
	// response per request) through the adapter.
	{name: "httpTimeoutHandler", setup: func(a *covet.App) {
		a.Use(covet.WrapMiddleware(func(h http.Handler) http.Handler { return http.TimeoutHandler(h, time.Minute, "") }))
	}},
	{name: "AllowedHosts", setup: func(a *covet.App) { a.Pre(middleware.AllowedHosts("example.com", "*.example.org", "127.0.0.1")) }},
	{name: "WrapMiddleware", setup: func(a *covet.App) { a.Use(covet.WrapMiddleware(stdHeader)) }},
	{name: "all", logger: func(*testing.B) *slog.Logger { return jsonTo(io.Discard) }, setup: func(a *covet.App) {
		a.Pre(middleware.AllowedHosts("example.com", "*.example.org", "127.0.0.1"))
		a.Use(middleware.RequestID(), middleware.Timing(), middleware.AccessLog(), middleware.Recover(),
			middleware.SecureHeaders(), middleware.BodyLimit(1<<20))
	}},
}

const helloBody = "Hello, World!"

func benchApp(b *testing.B, bc benchCase) *covet.App {
	logger := slog.New(slog.DiscardHandler)
	if bc.logger != nil {
		logger = bc.logger(b)
	}
	app := covet.New(covet.WithDevelopment(false), covet.WithLogger(logger))
	if bc.setup != nil {
		bc.setup(app)
	}
	hello := func(c *covet.Context) error { return c.Text(http.StatusOK, helloBody) }
	app.GET("/plaintext", hello)
	app.POST("/plaintext", hello)
	return app
}

// discardWriter is the cheapest ResponseWriter: it keeps the headers and
// drops the body.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteString(s string) (int, error) {
	return len(s), nil
}
func (w *discardWriter) WriteHeader(code int) { w.code = code }

// BenchmarkInProcess calls app.ServeHTTP with a reused request and writer.
func BenchmarkInProcess(b *testing.B) {
	for _, bc := range benchCases {
		b.Run("mw="+bc.name, func(b *testing.B) {
			app := benchApp(b, bc)
			method := bc.method
			if method == "" {
				method = "GET"
			}
			req := httptest.NewRequest(method, "http://example.com/plaintext", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			body := strings.NewReader("")
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if method == "POST" {
					// A body of unknown length, as a chunked upload has.
					body.Reset("hello")
					req.Body, req.ContentLength = io.NopCloser(body), -1
				}
				clear(w.h)
				w.code = 0
				app.ServeHTTP(w, req)
			}
			reportCPU(b, cpu0)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
		})
	}
}

// BenchmarkLoopback serves the app with http.Server on 127.0.0.1 and sends
// it requests from keep-alive clients in the same process, in parallel: the
// cost of a whole plaintext request, client side included.
func BenchmarkLoopback(b *testing.B) {
	for _, bc := range benchCases {
		b.Run("mw="+bc.name, func(b *testing.B) {
			app := benchApp(b, bc)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			srv := &http.Server{Handler: app, ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.Serve(ln) }()
			defer srv.Close()
			url := "http://" + ln.Addr().String() + "/plaintext"
			tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr}
			method := bc.method
			if method == "" {
				method = "GET"
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, 512)
				for pb.Next() {
					var body io.Reader
					if method == "POST" {
						body = struct{ io.Reader }{strings.NewReader("hello")} // chunked
					}
					req, _ := http.NewRequest(method, url, body)
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					n, _ := io.ReadFull(res.Body, buf[:len(helloBody)])
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || n != len(helloBody) {
						b.Errorf("status %d, %d body bytes", res.StatusCode, n)
						return
					}
				}
			})
			reportCPU(b, cpu0)
		})
	}
}

// reportCPU adds the process CPU time per operation since cpu0 as the
// metric cpu-ns/op (client and server together, over loopback).
func reportCPU(b *testing.B, cpu0 time.Duration) {
	if cpu := processCPU(); cpu0 > 0 && cpu > cpu0 {
		b.ReportMetric(float64(cpu-cpu0)/float64(b.N), "cpu-ns/op")
	}
}
