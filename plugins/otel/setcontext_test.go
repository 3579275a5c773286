package otel_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/middleware"
	"go.opentelemetry.io/otel/trace"

	"github.com/covetgo/covet/plugins/otel"
)

// TestSpanInEveryContext: the server span, put on the request with
// SetContext (no request copy), is what the handler's c.Context(),
// c.Request().Context() and a wrapped net/http handler see, beside the
// request ID.
func TestSpanInEveryContext(t *testing.T) {
	tp, rec := recorded()
	app := covet.New()
	if err := app.Install(otel.New(otel.WithTracerProvider(tp))); err != nil {
		t.Fatal(err)
	}
	app.Use(middleware.RequestID())
	seen := map[string]trace.SpanID{}
	app.GET("/ctx", func(c *covet.Context) error {
		seen["Context"] = trace.SpanContextFromContext(c.Context()).SpanID()
		seen["Request"] = trace.SpanContextFromContext(c.Request().Context()).SpanID()
		if covet.RequestIDFrom(c.Context()) == "" {
			t.Error("the request ID is not on the context")
		}
		return c.NoContent(http.StatusNoContent)
	})
	app.GET("/wrapped", covet.WrapHandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen["wrapped"] = trace.SpanContextFromContext(r.Context()).SpanID()
		w.WriteHeader(http.StatusNoContent)
	}))
	for _, p := range []string{"/ctx", "/wrapped"} {
		w := httptest.NewRecorder()
		app.ServeHTTP(w, httptest.NewRequest(http.MethodGet, p, nil))
		if w.Code != http.StatusNoContent {
			t.Fatalf("%s: status %d", p, w.Code)
		}
	}
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	if id := spans[0].SpanContext().SpanID(); seen["Context"] != id || seen["Request"] != id {
		t.Errorf("/ctx saw %v, want the server span %v", seen, id)
	}
	if id := spans[1].SpanContext().SpanID(); seen["wrapped"] != id {
		t.Errorf("/wrapped saw %v, want the server span %v", seen["wrapped"], id)
	}
}
