// Package oteltest is an OTLP/HTTP trace receiver for tests: it decodes what
// an OpenTelemetry exporter (the otel plugin's, or any) sends to
// /v1/traces, as a collector would, so a test can look at the spans.
//
//	rv := &oteltest.Receiver{}
//	srv := httptest.NewServer(rv)
//	defer srv.Close()
//	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
//	// ... install otel.New(), serve requests, app.Stop (flushes) ...
//	for _, s := range rv.Spans() { ... }
package oteltest

import (
	"compress/gzip"
	"io"
	"net/http"
	"sync"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Receiver collects the spans of every OTLP/HTTP protobuf trace export
// posted to /v1/traces, and the string attributes of their resources;
// any other path or content type is answered 400. Its zero value is ready.
type Receiver struct {
	mu       sync.Mutex
	spans    []*tracepb.Span
	resource map[string]string
	requests []*coltrace.ExportTraceServiceRequest
	headers  []http.Header
}

// ServeHTTP decodes one export request and keeps its spans.
func (rv *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "unexpected "+r.URL.Path+" "+r.Header.Get("Content-Type"), http.StatusBadRequest)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rv.mu.Lock()
	rv.requests = append(rv.requests, &req)
	rv.headers = append(rv.headers, r.Header.Clone())
	for _, rs := range req.ResourceSpans {
		if rs.Resource != nil {
			if rv.resource == nil {
				rv.resource = map[string]string{}
			}
			for _, kv := range rs.Resource.Attributes {
				rv.resource[kv.Key] = kv.Value.GetStringValue()
			}
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

// Spans returns the spans received so far, in the order they arrived.
func (rv *Receiver) Spans() []*tracepb.Span {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]*tracepb.Span(nil), rv.spans...)
}

// Requests returns every export request received so far, decoded, in
// the order they arrived.
func (rv *Receiver) Requests() []*coltrace.ExportTraceServiceRequest {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]*coltrace.ExportTraceServiceRequest(nil), rv.requests...)
}

// Headers returns the HTTP headers of every export request received so
// far, in the order they arrived (Content-Encoding gzip bodies are
// decompressed).
func (rv *Receiver) Headers() []http.Header {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]http.Header(nil), rv.headers...)
}

// Resource returns the string attributes of the resources received so far
// (service.name and the like); a later export's value wins.
func (rv *Receiver) Resource() map[string]string {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	m := make(map[string]string, len(rv.resource))
	for k, v := range rv.resource {
		m[k] = v
	}
	return m
}
