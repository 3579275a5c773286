// Package otlptest is a minimal OTLP/HTTP trace receiver for the examples'
// tests: it decodes what an OpenTelemetry exporter sends to /v1/traces so a
// test can look at the spans.
package otlptest

import (
	"io"
	"net/http"
	"sync"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver collects the spans of every OTLP/HTTP (protobuf) trace export
// posted to /v1/traces; anything else is answered 400. Serve it with
// httptest.NewServer and point OTEL_EXPORTER_OTLP_ENDPOINT at its URL.
type Receiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

// ServeHTTP decodes one export request and keeps its spans.
func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	rv.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			rv.spans = append(rv.spans, ss.Spans...)
		}
	}
	rv.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// Spans returns the spans received so far, in the order they arrived.
func (rv *Receiver) Spans() []*tracepb.Span {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]*tracepb.Span(nil), rv.spans...)
}
