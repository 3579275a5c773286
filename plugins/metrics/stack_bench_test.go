package metrics_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"

	"github.com/covetgo/covet/plugins/metrics"
)

// BenchmarkStack is core/middleware's BenchmarkStack (the taskboard's
// middleware stack around a typed JSON handler) with the metrics plugin
// installed, as the taskboard has it. Count it with
//
//	scripts/instr-per-op.sh ./plugins/metrics 'Stack/log=slog$' 20000
func BenchmarkStack(b *testing.B) {
	for _, tc := range []struct {
		name string
		log  []middleware.AccessLogOption
	}{
		{"log=slog", nil},
		{"log=writer", []middleware.AccessLogOption{middleware.WithAccessLogWriter(io.Discard)}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			app := covet.New(covet.WithDevelopment(false), covet.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
			if err := app.Install(metrics.New()); err != nil {
				b.Fatal(err)
			}
			stackApp(app, tc.log...)
			req := httptest.NewRequest("GET", "http://localhost/tasks/42", nil)
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("User-Agent", "bench/1.0")
			w := &stackRecorder{h: http.Header{}}
			app.ServeHTTP(w, req)
			if w.code != http.StatusOK {
				b.Fatalf("status %d", w.code)
			}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.code = 0
				app.ServeHTTP(w, req)
			}
		})
	}
}

type stackIn struct {
	ID int `path:"id" minimum:"1"`
}

type stackOut struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

// stackApp adds the taskboard's middleware (contrib/examples/taskboard
// NewApp) and a typed GET /tasks/{id:int} to app; a copy of
// core/middleware's, which this module cannot import.
func stackApp(app *covet.App, log ...middleware.AccessLogOption) {
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
}

type stackRecorder struct {
	h    http.Header
	code int
}

func (w *stackRecorder) Header() http.Header         { return w.h }
func (w *stackRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *stackRecorder) WriteHeader(code int)        { w.code = code }
