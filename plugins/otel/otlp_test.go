package otel_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/covetgo/covet/plugins/otel"
)

// receiver is a minimal OTLP/HTTP trace receiver: it decodes what the
// exporter sends, as a collector would.
type receiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), 400)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	rv.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.Resource.Attributes {
			rv.attrs[kv.Key] = kv.Value.GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			rv.spans = append(rv.spans, ss.Spans...)
		}
	}
	rv.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestOTLPHTTPExport: with only OTEL_* variables set, the plugin exports
// over OTLP/HTTP; a local receiver decodes the span at Stop's flush.
func TestOTLPHTTPExport(t *testing.T) {
	rv := &receiver{attrs: map[string]string{}}
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
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if len(rv.spans) != 1 {
		t.Fatalf("receiver got %d spans, want 1", len(rv.spans))
	}
	s := rv.spans[0]
	if s.Name != "GET /tasks/{id:int}" || s.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("span %q kind %v", s.Name, s.Kind)
	}
	if got := rv.attrs["service.name"]; got != "taskboard" {
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
