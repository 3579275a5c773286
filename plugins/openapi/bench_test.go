package openapi_test

import (
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/openapi"
)

// bigApp has 1000 typed routes: 250 resources with list, create, show and
// update operations, with parameters, bodies and shared component types.
func bigApp() *covet.App {
	app := covet.New()
	for i := range 250 {
		g := app.Group(fmt.Sprintf("/r%d", i)).With(covet.Tag(fmt.Sprintf("r%d", i)))
		covet.Get(g, "/items", func(c *covet.Context, in *ListIn) (*Page[Task], error) { return nil, nil }).Summary("List")
		covet.Post(g, "/items", func(c *covet.Context, in *CreateTaskIn) (*Created, error) { return nil, nil }).Status(201).Summary("Create")
		covet.Get(g, "/items/{id:int}", func(c *covet.Context, in *TaskPath) (*Task, error) { return nil, nil }).Summary("Show")
		covet.Patch(g, "/items/{id:int}", func(c *covet.Context, in *UpdateIn) (*Task, error) { return nil, nil }).Summary("Update")
	}
	return app
}

// BenchmarkDocument1000Routes measures building and encoding the document
// of a 1000-route app (what the plugin does once, at start-up): build
// from app.Routes(), render 3.1, encode JSON.
func BenchmarkDocument1000Routes(b *testing.B) {
	app := bigApp()
	if n := len(app.Routes()); n != 1000 {
		b.Fatalf("%d routes", n)
	}
	for _, tt := range []struct {
		name string
		v    openapi.SpecVersion
		f    openapi.Format
	}{
		{"3.1-json", openapi.V31, openapi.JSON},
		{"3.0-json", openapi.V30, openapi.JSON},
		{"3.1-yaml", openapi.V31, openapi.YAML},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := openapi.Export(app, io.Discard, openapi.WithSpecVersion(tt.v), openapi.WithFormat(tt.f)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkObserveRoutes1000 measures the plugin's start-up work for a
// 1000-route app: one build, rendered as 3.1 JSON and YAML.
func BenchmarkObserveRoutes1000(b *testing.B) {
	app := bigApp()
	routes := app.Routes()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		p := openapi.New()
		if err := p.ObserveRoutes(routes); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServeDocument measures serving the built document.
func BenchmarkServeDocument(b *testing.B) {
	app := bigApp()
	if err := app.Install(openapi.New()); err != nil {
		b.Fatal(err)
	}
	req := func() {
		rec := discardRecorder{h: map[string][]string{}}
		app.ServeHTTP(&rec, httptestRequest)
	}
	req()
	b.ReportAllocs()
	for b.Loop() {
		req()
	}
}

var httptestRequest = mustRequest("/openapi.json")

type discardRecorder struct {
	h    map[string][]string
	code int
}

func (d *discardRecorder) Header() http.Header         { return d.h }
func (d *discardRecorder) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardRecorder) WriteHeader(code int)        { d.code = code }

func mustRequest(path string) *http.Request {
	r, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		panic(err)
	}
	return r
}

// reportCPU reports the process's CPU time (user + system, all threads:
// the work and its garbage collection) per operation, as cpu-ns/op. On a
// shared machine whose other jobs inflate ns/op (wall time), it is the
// steadier figure of the work done.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
