package otel_test

import (
	"context"
	"sync/atomic"
	"testing"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/plugins/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// reporter publishes figures through covet.StatsReporter.
type reporter struct{ n atomic.Int64 }

var (
	dbPrimary = []covet.StatLabel{{Name: "db", Value: "primary"}}
	dbReplica = []covet.StatLabel{{Name: "db", Value: "replica"}}
)

func (*reporter) Name() string             { return "orm" }
func (*reporter) Install(*covet.App) error { return nil }
func (r *reporter) AppendStats(dst []covet.Stat) []covet.Stat {
	n := float64(r.n.Load())
	return append(dst,
		covet.Stat{Name: "queries", Help: "Queries.", Kind: covet.StatCounter, Value: 10 * n, Labels: dbPrimary},
		covet.Stat{Name: "queries", Help: "Queries.", Kind: covet.StatCounter, Value: n, Labels: dbReplica},
		covet.Stat{Name: "pool_in_use", Help: "In use.", Kind: covet.StatGauge, Value: 3},
	)
}

// TestPluginStatsObserved: a plugin installed after otel has its figures
// collected through the meter provider from Start on, with its labels as
// attributes, and no longer after Stop.
func TestPluginStatsObserved(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp, _ := recorded()
	app := newApp(t, otel.WithTracerProvider(tp), otel.WithMeterProvider(mp))
	r := &reporter{}
	if err := app.Install(r); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.n.Store(2)
	data := collect(t, reader)
	sum, ok := data["covet.orm.queries"].(metricdata.Sum[float64])
	if !ok || !sum.IsMonotonic {
		t.Fatalf("covet.orm.queries = %#v, want a monotonic sum", data["covet.orm.queries"])
	}
	got := map[string]float64{}
	for _, dp := range sum.DataPoints {
		db, _ := dp.Attributes.Value("db")
		got[db.AsString()] = dp.Value
	}
	if got["primary"] != 20 || got["replica"] != 2 || len(got) != 2 {
		t.Errorf("queries by db = %v, want primary 20, replica 2", got)
	}
	g, ok := data["covet.orm.pool_in_use"].(metricdata.Gauge[float64])
	if !ok || len(g.DataPoints) != 1 || g.DataPoints[0].Value != 3 {
		t.Errorf("covet.orm.pool_in_use = %#v, want a gauge of 3", data["covet.orm.pool_in_use"])
	}
	if err := app.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s, ok := collect(t, reader)["covet.orm.queries"].(metricdata.Sum[float64]); ok && len(s.DataPoints) > 0 {
		t.Errorf("figures still collected after Stop: %v", s.DataPoints)
	}
}

// TestPluginStatsOff: WithPluginStats(false) leaves the figures out.
func TestPluginStatsOff(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tp, _ := recorded()
	app := newApp(t, otel.WithTracerProvider(tp), otel.WithMeterProvider(mp), otel.WithPluginStats(false))
	if err := app.Install(&reporter{}); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Stop(context.Background()) })
	if _, ok := collect(t, reader)["covet.orm.queries"]; ok {
		t.Error("figures exported with WithPluginStats(false)")
	}
}
