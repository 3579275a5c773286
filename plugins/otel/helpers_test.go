package otel_test

import (
	"net/http"
	"testing"

	covet "github.com/covetgo/covet/core"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/covetgo/covet/plugins/otel"
)

// recorded returns a provider whose ended spans land in the recorder.
func recorded(opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(append([]sdktrace.TracerProviderOption{sdktrace.WithSpanProcessor(rec)}, opts...)...)
	return tp, rec
}

func newApp(t testing.TB, opts ...otel.Option) *covet.App {
	t.Helper()
	app := covet.New()
	if err := app.Install(otel.New(opts...)); err != nil {
		t.Fatal(err)
	}
	addRoutes(app)
	return app
}

func addRoutes(app *covet.App) {
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return c.Text(200, "task") })
	app.GET("/fail", func(c *covet.Context) error { return covet.NewError(http.StatusConflict, "taken") })
	app.GET("/broken", func(c *covet.Context) error { return errBroken })
	app.GET("/boom", func(c *covet.Context) error { panic("boom") })
}

type brokenErr struct{}

func (brokenErr) Error() string { return "database on fire" }

var errBroken = brokenErr{}

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
