package middleware_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
)

// The taskboard's stack (contrib/examples/taskboard NewApp) around a typed
// handler that answers a small JSON struct: the per-request cost of core and
// its middleware in a real application, without the network. Count it with
//
//	scripts/instr-per-op.sh ./core/middleware 'Stack/log=slog$' 20000
//	go test -run '^$' -bench Stack -benchmem ./core/middleware
//
// plugins/metrics has the same stack with its middleware added
// (BenchmarkStack there).

type stackIn struct {
	ID int `path:"id" minimum:"1"`
}

type stackOut struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// stackApp builds the taskboard's middleware stack on app: AllowedHosts
// before routing (skipped for health probes, as the taskboard does),
// Recover, RequestID, AccessLog (skipping health probes), SecureHeaders,
// Timing, and a typed GET /tasks/{id:int}.
func stackApp(app *covet.App, log ...middleware.AccessLogOption) *covet.App {
	guard := middleware.AllowedHosts("localhost", "127.0.0.1", "example.com")
	app.Pre(func(next covet.HandlerFunc) covet.HandlerFunc {
		guarded := guard(next)
		return func(c *covet.Context) error {
			if p := c.Request().URL.Path; p == "/healthz" || p == "/readyz" {
				return next(c)
			}
			return guarded(c)
		}
	})
	skip := middleware.WithAccessLogSkip(func(c *covet.Context) bool {
		p := c.Request().URL.Path
		return p == "/healthz" || p == "/readyz"
	})
	app.Use(
		middleware.Recover(),
		middleware.RequestID(),
		middleware.AccessLog(append([]middleware.AccessLogOption{skip}, log...)...),
		middleware.SecureHeaders(),
		middleware.Timing(),
	)
	covet.Get(app, "/tasks/{id:int}", func(c *covet.Context, in *stackIn) (*stackOut, error) {
		return &stackOut{ID: in.ID, Title: "write the docs"}, nil
	})
	return app
}

func devNull(b *testing.B) *os.File {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// recorder is a ResponseWriter reused across requests: its header map is
// cleared and its body dropped, as a real connection's would be.
type recorder struct {
	h    http.Header
	code int
	n    int
}

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}
func (w *recorder) WriteHeader(code int) { w.code = code }

func BenchmarkStack(b *testing.B) {
	for _, tc := range []struct {
		name string
		app  func() *covet.App
	}{
		// The taskboard's configuration: the app's slog JSON logger.
		{"log=slog", func() *covet.App {
			return stackApp(covet.New(covet.WithDevelopment(false), covet.WithLogger(jsonTo(io.Discard))))
		}},
		// The same with AccessLog writing JSON lines itself.
		{"log=writer", func() *covet.App {
			return stackApp(covet.New(covet.WithDevelopment(false), covet.WithLogger(jsonTo(io.Discard))),
				middleware.WithAccessLogWriter(io.Discard))
		}},
		// AccessLog's lines on a file (/dev/null), one write(2) each, and
		// through a BufferedLogWriter.
		{"log=file", func() *covet.App {
			return stackApp(covet.New(covet.WithDevelopment(false), covet.WithLogger(jsonTo(io.Discard))),
				middleware.WithAccessLogWriter(devNull(b)))
		}},
		{"log=buffered", func() *covet.App {
			logs := middleware.NewBufferedLogWriter(devNull(b))
			b.Cleanup(func() { _ = logs.Close() })
			return stackApp(covet.New(covet.WithDevelopment(false), covet.WithLogger(jsonTo(io.Discard))),
				middleware.WithAccessLogWriter(logs))
		}},
		// The handler alone, for the middleware's share.
		{"bare", func() *covet.App {
			app := covet.New(covet.WithDevelopment(false), covet.WithLogger(slog.New(slog.DiscardHandler)))
			covet.Get(app, "/tasks/{id:int}", func(c *covet.Context, in *stackIn) (*stackOut, error) {
				return &stackOut{ID: in.ID, Title: "write the docs"}, nil
			})
			return app
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := tc.app()
			req := httptest.NewRequest("GET", "http://localhost/tasks/42", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("User-Agent", "bench/1.0")
			w := &recorder{h: http.Header{}}
			app.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
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
