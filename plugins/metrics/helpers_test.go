package metrics_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	covet "github.com/covetgo/covet/core"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/covetgo/covet/plugins/metrics"
)

// newApp returns an app with a few routes and the metrics plugin.
func newApp(t testing.TB, opts ...metrics.Option) (*covet.App, *metrics.Plugin) {
	t.Helper()
	app := covet.New()
	m := metrics.New(opts...)
	if err := app.Install(m); err != nil {
		t.Fatal(err)
	}
	app.GET("/plain", func(c *covet.Context) error { return c.Text(200, "ok") })
	app.GET("/users/{id:int}", func(c *covet.Context) error { return c.Text(200, "user "+c.Param("id")) })
	app.POST("/users", func(c *covet.Context) error { return c.Text(201, "created") })
	app.GET("/fail", func(c *covet.Context) error { return covet.NewError(http.StatusConflict, "conflict") })
	app.GET("/boom", func(c *covet.Context) error { panic("boom") })
	app.GET("/quiet", func(c *covet.Context) error { return nil })
	return app, m
}

// scrape gets /metrics from h and parses it with Prometheus' own parser.
func scrape(t testing.TB, h http.Handler, path string) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	if rec.Code != 200 {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return parse(t, rec.Body.Bytes())
}

func parse(t testing.TB, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse exposition: %v\n%s", err, b)
	}
	return fams
}

// value finds the sample of fam whose labels include want; counters give
// their value, histograms their sample count.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	fam := fams[name]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.Metric {
		for k, v := range want {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func series(fams map[string]*dto.MetricFamily, name string) int {
	if fam := fams[name]; fam != nil {
		return len(fam.Metric)
	}
	return 0
}

func do(h http.Handler, method, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec.Code
}
