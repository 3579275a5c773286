package metrics

import (
	"database/sql"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// DBStats returns a collector of a database/sql pool's statistics
// (go_sql_open_connections, go_sql_in_use_connections, go_sql_idle_connections,
// go_sql_wait_count_total, go_sql_wait_duration_seconds_total, ...), labelled
// db_name=name: client_golang's DBStatsCollector. With plugins/orm, pass
// each database's pool, d.Bun().DB, so this module needs no ORM:
//
//	for _, d := range ormPlugin.Databases() {
//		opts = append(opts, metrics.WithCollector(metrics.DBStats(d.Name(), d.Bun().DB)))
//	}
func DBStats(name string, db *sql.DB) prometheus.Collector {
	return collectors.NewDBStatsCollector(db, name)
}

// Figure is one value read from another plugin at scrape time.
type Figure struct {
	// Name is the metric name's last part ("allowed_total").
	Name string
	// Help describes it.
	Help string
	// Counter says the value only grows (since the process started);
	// otherwise it is a gauge.
	Counter bool
	// Value is the current value.
	Value float64
}

// Figures returns a collector that calls read at each scrape and exposes
// each Figure as namespace_subsystem_name. It is how plugins that keep their
// own counters (plugins/ratelimit's Limiter.Stats, the ORM's query counts)
// are exported without this module importing them, or them importing
// Prometheus. read must return the same names, in any order, at every call.
//
//	metrics.Figures("covet", "ratelimit", func() []metrics.Figure {
//		s := limiter.Stats()
//		return []metrics.Figure{
//			{Name: "allowed_total", Help: "Requests allowed.", Counter: true, Value: float64(s.Allowed)},
//			{Name: "denied_total", Help: "Requests limited.", Counter: true, Value: float64(s.Denied)},
//		}
//	})
func Figures(namespace, subsystem string, read func() []Figure) prometheus.Collector {
	return &figures{ns: namespace, sub: subsystem, read: read}
}

type figures struct {
	ns, sub string
	read    func() []Figure
}

// Describe sends nothing: the collector is unchecked, as its names come from
// read (the registry still refuses two collectors exposing one name at
// scrape time).
func (f *figures) Describe(chan<- *prometheus.Desc) {}

func (f *figures) Collect(ch chan<- prometheus.Metric) {
	for _, v := range f.read() {
		t := prometheus.GaugeValue
		if v.Counter {
			t = prometheus.CounterValue
		}
		d := prometheus.NewDesc(prometheus.BuildFQName(f.ns, f.sub, v.Name), v.Help, nil, nil)
		m, err := prometheus.NewConstMetric(d, t, v.Value)
		if err != nil {
			m = prometheus.NewInvalidMetric(d, err)
		}
		ch <- m
	}
}

// RateLimitStats are the counters of plugins/ratelimit's Limiter.Stats; a
// ratelimit.Stats converts to it (metrics.RateLimitStats(limiter.Stats())),
// as the two structs have the same fields.
type RateLimitStats struct {
	Allowed, Denied          uint64
	FailedOpen, FailedClosed uint64
}

// RateLimit returns the collector of a limiter's counters:
// covet_ratelimit_allowed_total, _denied_total, _failed_open_total and
// _failed_closed_total (requests let through or refused because the backend
// failed).
//
//	metrics.RateLimit(func() metrics.RateLimitStats { return metrics.RateLimitStats(limiter.Stats()) })
//
// Deprecated: an installed ratelimit.Limiter reports its figures through
// covet.StatsReporter, exported without wiring (covet_ratelimit_allowed_total,
// _limited_total, ...); registering this too collects allowed_total,
// failed_open_total and failed_closed_total twice, which the registry
// reports as a gather error.
func RateLimit(read func() RateLimitStats) prometheus.Collector {
	return Figures("covet", "ratelimit", func() []Figure {
		s := read()
		return []Figure{
			{Name: "allowed_total", Help: "Requests checked against a limit and allowed.", Counter: true, Value: float64(s.Allowed)},
			{Name: "denied_total", Help: "Requests refused by a limit (429).", Counter: true, Value: float64(s.Denied)},
			{Name: "failed_open_total", Help: "Requests let through because the limiter's backend failed.", Counter: true, Value: float64(s.FailedOpen)},
			{Name: "failed_closed_total", Help: "Requests refused (503) because the limiter's backend failed.", Counter: true, Value: float64(s.FailedClosed)},
		}
	})
}
