package compress_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/andybalholm/brotli"
	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/compress"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// TestReduction: > 60 % smaller on the taskboard's JSON list (100 tasks) and
// an HTML page, with each coding at its default level. Run with -v for the
// figures.
func TestReduction(t *testing.T) {
	bodies := map[string][]byte{"json-100-tasks": taskJSON(100), "html-page": []byte(htmlPage(100))}
	for _, coding := range []string{"gzip", "br", "zstd"} {
		app := newApp(t, compress.WithEncodings(coding))
		for name, b := range bodies {
			app.GET("/"+name, func(c *covet.Context) error { return c.Blob(http.StatusOK, ctOf(name), b) })
		}
		for name, b := range bodies {
			rec := serve(app, http.MethodGet, "/"+name, map[string]string{"Accept-Encoding": coding}, nil)
			n := rec.Body.Len()
			red := 100 * (1 - float64(n)/float64(len(b)))
			t.Logf("%-5s %-15s %6d -> %5d bytes, %.1f %% smaller", coding, name, len(b), n, red)
			if rec.Header().Get("Content-Encoding") != coding || red <= 60 {
				t.Errorf("%s %s: %.1f %% reduction", coding, name, red)
			}
		}
	}
}

func ctOf(name string) string {
	if name == "html-page" {
		return "text/html; charset=utf-8"
	}
	return "application/json"
}

// nullWriter is a reusable ResponseWriter that discards the body.
type nullWriter struct{ h http.Header }

func (w *nullWriter) Header() http.Header         { return w.h }
func (w *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nullWriter) WriteHeader(int)             {}

func benchApp(b *testing.B, coding string) (http.Handler, *http.Request, *nullWriter) {
	body := taskJSON(100)
	app := covet.New()
	if coding != "" {
		if err := app.Install(compress.New(compress.WithEncodings(coding))); err != nil {
			b.Fatal(err)
		}
	}
	app.GET("/tasks", func(c *covet.Context) error { return c.Blob(http.StatusOK, "application/json", body) })
	req, _ := http.NewRequest(http.MethodGet, "/tasks", nil)
	if coding != "" {
		req.Header.Set("Accept-Encoding", coding)
	}
	return app, req, &nullWriter{h: http.Header{}}
}

// BenchmarkMiddleware serves the 100-task list through the plugin.
func BenchmarkMiddleware(b *testing.B) {
	for _, coding := range []string{"gzip", "br", "zstd", ""} {
		name := coding
		if name == "" {
			name = "none"
		}
		b.Run(name, func(b *testing.B) {
			app, req, w := benchApp(b, coding)
			b.SetBytes(int64(len(taskJSON(100))))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				app.ServeHTTP(w, req)
			}
		})
	}
}

// BenchmarkDirect compresses the same body with the libraries directly
// (reused encoders, the plugin's settings): the baseline for CPU per MB.
func BenchmarkDirect(b *testing.B) {
	body := taskJSON(100)
	gz, _ := gzip.NewWriterLevel(io.Discard, gzip.DefaultCompression)
	zs, _ := zstd.NewWriter(io.Discard, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithWindowSize(128<<10))
	br := brotli.NewWriterLevel(io.Discard, 4)
	for name, w := range map[string]interface {
		io.WriteCloser
		Reset(io.Writer)
	}{"gzip": gz, "zstd": zs, "br": br} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				w.Reset(io.Discard)
				_, _ = w.Write(body)
				_ = w.Close()
			}
		})
	}
}

// TestSteadyStateAllocs: with pooling, a coded response allocates no more
// than the same response without the plugin.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race; run without it")
	}
	var b testing.B
	base := func() float64 {
		app, req, w := benchApp(&b, "")
		return testing.AllocsPerRun(200, func() { clear(w.h); app.ServeHTTP(w, req) })
	}()
	for _, coding := range []string{"gzip", "br", "zstd"} {
		app, req, w := benchApp(&b, coding)
		n := testing.AllocsPerRun(200, func() { clear(w.h); app.ServeHTTP(w, req) })
		t.Logf("%s: %.0f allocs per request (without the plugin: %.0f)", coding, n, base)
		if n > base {
			t.Errorf("%s: %.0f allocs per request, core alone %.0f", coding, n, base)
		}
	}
}
