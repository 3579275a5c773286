package otel_test

import (
	"context"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/otel"
)

// collect reads every metric from the manual reader, by name.
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

// TestHTTPServerMetrics: the semantic-convention HTTP server metrics, read
// with the SDK's manual reader, count each request under its method, route
// and the status the client got (a returned error's rendered status, a
// recovered panic's 500), and the active count is back to 0.
func TestHTTPServerMetrics(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp, _ := recorded()
	app := newApp(t, otel.WithTracerProvider(tp), otel.WithMeterProvider(mp))
	c := covettest.New(t, app)
	c.Get("/tasks/1").Do().ExpectStatus(200)
	c.Get("/tasks/2").Do().ExpectStatus(200)
	c.Get("/fail").Do().ExpectStatus(409)
	data := collect(t, reader)
	h, ok := data["http.server.request.duration"].(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("no duration histogram: %v", data)
	}
	counts := map[string]uint64{}
	for _, dp := range h.DataPoints {
		route, _ := dp.Attributes.Value("http.route")
		status, _ := dp.Attributes.Value("http.response.status_code")
		method, _ := dp.Attributes.Value("http.request.method")
		counts[method.AsString()+" "+route.AsString()+" "+status.Emit()] += dp.Count
	}
	want := map[string]uint64{"GET /tasks/{id:int} 200": 2, "GET /fail 409": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s counted %d, want %d (all: %v)", k, counts[k], n, counts)
		}
	}
	s, ok := data["http.server.active_requests"].(metricdata.Sum[int64])
	if !ok || len(s.DataPoints) != 1 || s.DataPoints[0].Value != 0 {
		t.Errorf("active requests after the requests: %+v", data["http.server.active_requests"])
	}
}

// TestFigures: another plugin's counters, with the read function shape of
// plugins/metrics' Figures, exported through OTel.
func TestFigures(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	allowed := 0.0
	reg, err := otel.Figures(mp, "covet.ratelimit", func() []otel.Figure {
		return []otel.Figure{
			{Name: "allowed_total", Help: "Requests allowed.", Counter: true, Value: allowed},
			{Name: "keys", Help: "Keys tracked.", Value: 3},
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	allowed = 41
	data := collect(t, reader)
	sum, ok := data["covet.ratelimit.allowed_total"].(metricdata.Sum[float64])
	if !ok || !sum.IsMonotonic || len(sum.DataPoints) != 1 || sum.DataPoints[0].Value != 41 {
		t.Errorf("counter figure: %+v", data["covet.ratelimit.allowed_total"])
	}
	g, ok := data["covet.ratelimit.keys"].(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 || g.DataPoints[0].Value != 3 {
		t.Errorf("gauge figure: %+v", data["covet.ratelimit.keys"])
	}
	if err := reg.Unregister(); err != nil {
		t.Fatal(err)
	}
	if _, ok := collect(t, reader)["covet.ratelimit.keys"]; ok {
		t.Errorf("figures still collected after Unregister")
	}
}
