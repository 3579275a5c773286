package metrics_test

import (
	"errors"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/covetgo/covet/plugins/metrics"
)

// families returns the names of the metric families reg gathers.
func families(t *testing.T, reg *prometheus.Registry) map[string]bool {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]bool{}
	for _, f := range fams {
		out[f.GetName()] = true
	}
	return out
}

// A metrics plugin installed by a plugin whose Install then fails is rolled
// back by core (routes, middleware); its own registrations in the registry
// are undone by its Cleanup, so the registry is as before and the plugin
// (or a new one on the same registry) can be installed again.
func TestRolledBackInstallLeavesRegistryAsBefore(t *testing.T) {
	reg := prometheus.NewRegistry()
	own := prometheus.NewCounter(prometheus.CounterOpts{Name: "app_own_total", Help: "The app's own."})
	reg.MustRegister(own)
	before := families(t, reg)

	extra := prometheus.NewGauge(prometheus.GaugeOpts{Name: "app_extra", Help: "Passed by WithCollector."})
	m := metrics.New(metrics.WithRegistry(reg), metrics.WithCollector(extra))
	app := covet.New()
	boom := errors.New("boom")
	if err := app.Install(covettest.FailingInstall(m, boom)); !errors.Is(err, boom) {
		t.Fatalf("Install: %v, want %v", err, boom)
	}
	if got := families(t, reg); len(got) != len(before) || !got["app_own_total"] {
		t.Fatalf("after the rolled-back Install the registry gathers %v, want %v", got, before)
	}
	if app.Plugin("metrics") != nil {
		t.Fatal("metrics still installed")
	}

	// The same plugin value installs again, and serves.
	if err := app.Install(m); err != nil {
		t.Fatalf("second Install of the rolled-back plugin: %v", err)
	}
	app.GET("/plain", func(c *covet.Context) error { return c.Text(200, "ok") })
	if got := do(app, "GET", "/plain"); got != 200 {
		t.Fatalf("GET /plain: %d", got)
	}
	fams := scrape(t, app, "/metrics")
	if v, ok := value(fams, "covet_http_requests_total", map[string]string{"route": "/plain", "code": "2xx"}); !ok || v != 1 {
		t.Fatalf("covet_http_requests_total{route=/plain} = %v (%v), want 1", v, ok)
	}
	for _, name := range []string{"app_own_total", "app_extra", "go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("%s missing after the second Install", name)
		}
	}
}

// A new plugin on the registry a rolled-back one used installs too.
func TestNewPluginAfterRolledBackInstall(t *testing.T) {
	reg := prometheus.NewRegistry()
	app := covet.New()
	boom := errors.New("boom")
	if err := app.Install(covettest.FailingInstall(metrics.New(metrics.WithRegistry(reg)), boom)); !errors.Is(err, boom) {
		t.Fatalf("Install: %v, want %v", err, boom)
	}
	if got := families(t, reg); len(got) != 0 {
		t.Fatalf("after the rolled-back Install the registry gathers %v, want nothing", got)
	}
	if err := app.Install(metrics.New(metrics.WithRegistry(reg))); err != nil {
		t.Fatalf("Install of a new plugin on the same registry: %v", err)
	}
}

// Cleanup after App.Stop keeps the registrations: the registry can still
// be gathered after the app stopped.
func TestCleanupAfterStopKeepsCollectors(t *testing.T) {
	reg := prometheus.NewRegistry()
	app := covet.New()
	if err := app.Install(metrics.New(metrics.WithRegistry(reg), metrics.WithRuntimeMetrics(false))); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := app.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !families(t, reg)["covet_http_requests_in_flight"] {
		t.Fatal("covet_http_requests_in_flight unregistered by App.Stop")
	}
}
