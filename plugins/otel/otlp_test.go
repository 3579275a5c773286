package otel_test

import (
	"context"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/plugins/otel/oteltest"
)

// TestOTLPHTTPExport: with only OTEL_* variables set, the plugin exports
// over OTLP/HTTP; a local receiver decodes the span at Stop's flush.
func TestOTLPHTTPExport(t *testing.T) {
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_SERVICE_NAME", "taskboard")
	t.Setenv("OTEL_TRACES_SAMPLER", "")

	app := covet.New()
	if err := app.Install(otel.New(otel.WithServiceName("ignored-env-wins"))); err != nil {
		t.Fatal(err)
	}
	app.GET("/tasks/{id:int}", func(c *covet.Context) error { return c.Text(200, "task") })
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	covettest.New(t, app).Get("/tasks/7").Do().ExpectStatus(200)
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := rv.Spans()
	if len(spans) != 1 {
		t.Fatalf("receiver got %d spans, want 1", len(spans))
	}
	s := spans[0]
	if s.Name != "GET /tasks/{id:int}" || s.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("span %q kind %v", s.Name, s.Kind)
	}
	if got := rv.Resource()["service.name"]; got != "taskboard" {
		t.Errorf("service.name %q, want OTEL_SERVICE_NAME's", got)
	}
	found := false
	for _, kv := range s.Attributes {
		if kv.Key == "http.route" && kv.Value.GetStringValue() == "/tasks/{id:int}" {
			found = true
		}
	}
	if !found {
		t.Errorf("no http.route attribute in %v", s.Attributes)
	}
}
