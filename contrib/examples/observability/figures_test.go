package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	covet "github.com/covetgo/covet/core"
	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/auth"
	"github.com/covetgo/covet/plugins/auth/authtest"
	"github.com/covetgo/covet/plugins/cache"
	"github.com/covetgo/covet/plugins/metrics"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/otel"
	"github.com/covetgo/covet/plugins/ratelimit"
	"github.com/covetgo/covet/plugins/ratelimit/redisstore"
	"github.com/covetgo/covet/plugins/ws"
	"github.com/covetgo/covet/plugins/ws/wstest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace/noop"
)

// figuresApp is a real app with orm (PostgreSQL as the primary database,
// SQLite as "lite"), ratelimit and cache on the real Redis, ws and auth,
// exported by plugins/metrics on /metrics and by plugins/otel to a manual
// reader, none of it wired by hand.
type figuresApp struct {
	srv    *wstest.Server
	reader *sdkmetric.ManualReader
	user   authtest.TestUser
}

func newFiguresApp(t *testing.T) *figuresApp {
	t.Helper()
	pg := ormtest.Postgres(t)
	lite := ormtest.SQLite(t)
	rurl := covettest.RedisURL()
	ro, err := redis.ParseURL(rurl)
	if err != nil {
		t.Fatal(err)
	}
	ro.ContextTimeoutEnabled = true
	rdb := redis.NewClient(ro)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		covettest.NeedService(t, "Redis", err)
	}
	prefix := fmt.Sprintf("covet-test:figures:%d:", time.Now().UnixNano())
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })

	app := covet.New()
	db := orm.New(orm.WithDriver(pg.Driver, lite.Driver), orm.WithDSN(pg.DSN), orm.WithDatabase("lite", lite.DSN))
	limiter := ratelimit.New(ratelimit.WithBackend(redisstore.New(rdb, redisstore.WithKeyPrefix(prefix+"rl:"))))
	c, err := cache.New(cache.WithRedis(rdb), cache.WithPrefix(prefix+"cache:"))
	if err != nil {
		t.Fatal(err)
	}
	a := auth.New(auth.WithKeys(auth.HMAC("k1", "HS256", []byte("0123456789abcdef0123456789abcdef"))),
		auth.WithIssuer("https://issuer.test"), auth.WithAudience("api"))
	hub := ws.NewHub()
	// The exporters are installed first: the plugins after them are found
	// all the same, at scrape (metrics) and at Start (otel).
	if err := app.Install(metrics.New(metrics.WithRuntimeMetrics(false)),
		otel.New(otel.WithTracerProvider(noop.NewTracerProvider()), otel.WithMeterProvider(mp)),
		db, limiter, c, a, hub); err != nil {
		t.Fatal(err)
	}
	app.GET("/pg", func(c *covet.Context) error {
		idb, err := orm.DB(c)
		if err != nil {
			return err
		}
		var n int
		if err := idb.NewRaw("SELECT 1").Scan(c.Context(), &n); err != nil {
			return err
		}
		return c.Text(200, "pg")
	})
	app.GET("/lite", func(c *covet.Context) error {
		idb, err := orm.Named(c, "lite")
		if err != nil {
			return err
		}
		var n int
		if err := idb.NewRaw("SELECT 1").Scan(c.Context(), &n); err != nil {
			return err
		}
		return c.Text(200, "lite")
	})
	app.GET("/limited", func(c *covet.Context) error { return c.Text(200, "ok") }).
		With(ratelimit.Apply(ratelimit.NewPolicy("figures", ratelimit.WithLimits(ratelimit.PerMinute(2)))))
	app.GET("/cached", func(cc *covet.Context) error {
		v, err := cache.GetOrLoad(cc.Context(), c, "answer", time.Minute, func(context.Context) (string, error) { return "42", nil })
		if err != nil {
			return err
		}
		return cc.Text(200, v)
	})
	app.GET("/me", func(c *covet.Context) error { return c.Text(200, "me") }).With(auth.Required())
	ws.Handle(app, "/live", ws.Handler[struct {
		Type string `json:"type"`
	}]{Hub: hub, Accept: func(c *covet.Context, conn *ws.Conn) error { conn.Join("board"); return nil }})
	return &figuresApp{srv: wstest.NewServer(t, app), reader: reader, user: authtest.User(t, a, "ann")}
}

func (f *figuresApp) get(t *testing.T, path string, header ...string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

// scrape reads /metrics with Prometheus' own text parser.
func (f *figuresApp) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(f.srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", res.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// prom returns the value of the series name{labels}, or -1 without it.
func prom(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	fam := fams[name]
	if fam == nil {
		return -1
	}
next:
	for _, m := range fam.Metric {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, lp := range m.Label {
				if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return -1
}

// otlp returns the value of the instrument name's data point with the
// attributes, or -1 without it.
func (f *figuresApp) otlp(t *testing.T, name string, attrs ...string) float64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	match := func(get func(string) (string, bool)) bool {
		for i := 0; i+1 < len(attrs); i += 2 {
			if v, ok := get(attrs[i]); !ok || v != attrs[i+1] {
				return false
			}
		}
		return true
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[float64]:
				for _, dp := range d.DataPoints {
					if match(func(k string) (string, bool) { v, ok := dp.Attributes.Value(attributeKey(k)); return v.AsString(), ok }) {
						return dp.Value
					}
				}
			case metricdata.Gauge[float64]:
				for _, dp := range d.DataPoints {
					if match(func(k string) (string, bool) { v, ok := dp.Attributes.Value(attributeKey(k)); return v.AsString(), ok }) {
						return dp.Value
					}
				}
			}
		}
	}
	return -1
}

// TestPluginFigures: the figures of the real plugins move with real
// traffic, the same in the Prometheus exposition and through OTel.
func TestPluginFigures(t *testing.T) {
	f := newFiguresApp(t)

	for range 5 {
		f.get(t, "/limited")
	}
	f.get(t, "/cached")
	f.get(t, "/cached")
	f.get(t, "/me")
	f.get(t, "/me")
	if code := f.get(t, "/me", "Authorization", "Bearer "+f.user.Token); code != 200 {
		t.Fatalf("/me with a token: %d", code)
	}
	f.get(t, "/pg")
	f.get(t, "/pg")
	f.get(t, "/lite")
	conn := f.srv.Dial(t, "/live")
	defer conn.WS.Close()

	fams := f.scrape(t)
	type check struct {
		prom   string
		otel   string
		labels []string
		want   float64
	}
	checks := []check{
		{"covet_ratelimit_allowed_total", "covet.ratelimit.allowed", nil, 2},
		{"covet_ratelimit_limited_total", "covet.ratelimit.limited", nil, 3},
		{"covet_ratelimit_failed_open_total", "covet.ratelimit.failed_open", nil, 0},
		{"covet_cache_hits_total", "covet.cache.hits", nil, 1},
		{"covet_cache_misses_total", "covet.cache.misses", nil, 1},
		{"covet_cache_loads_total", "covet.cache.loads", nil, 1},
		{"covet_ws_connections", "covet.ws.connections", nil, 1},
		{"covet_ws_rooms", "covet.ws.rooms", nil, 1},
		{"covet_auth_authenticated_total", "covet.auth.authenticated", nil, 1},
		{"covet_auth_refused_total", "covet.auth.refused", []string{"reason", "missing"}, 2},
		{"covet_auth_refused_total", "covet.auth.refused", []string{"reason", "revoked"}, 0},
		{"covet_orm_queries_total", "covet.orm.queries", []string{"db", "primary"}, 2},
		{"covet_orm_queries_total", "covet.orm.queries", []string{"db", "lite"}, 1},
		{"covet_orm_query_errors_total", "covet.orm.query_errors", []string{"db", "primary"}, 0},
		{"covet_orm_pool_in_use", "covet.orm.pool_in_use", []string{"db", "primary"}, 0},
		{"covet_orm_pool_idle", "covet.orm.pool_idle", []string{"db", "primary"}, 1},
		{"covet_orm_pool_open", "covet.orm.pool_open", []string{"db", "lite"}, 1},
	}
	for _, c := range checks {
		if got := prom(fams, c.prom, c.labels...); got != c.want {
			t.Errorf("/metrics %s%v = %v, want %v", c.prom, c.labels, got, c.want)
		}
		if got := f.otlp(t, c.otel, c.labels...); got != c.want {
			t.Errorf("OTel %s%v = %v, want %v", c.otel, c.labels, got, c.want)
		}
	}
	if fams["covet_ratelimit_limited_total"].GetType() != dto.MetricType_COUNTER || fams["covet_ws_connections"].GetType() != dto.MetricType_GAUGE {
		t.Error("counters and gauges not typed as such")
	}

	// The connection leaves: the gauge follows.
	_ = conn.WS.Close()
	deadline := time.Now().Add(10 * time.Second)
	for prom(f.scrape(t), "covet_ws_connections") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("covet_ws_connections still not 0 10 s after the client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDeployFilesNamePluginFigures: every plugin figure the Grafana
// dashboard and the alert rules of plugins/metrics/deploy query is one the
// real plugins export (plugins/metrics' own test checks the others).
func TestDeployFilesNamePluginFigures(t *testing.T) {
	f := newFiguresApp(t)
	fams := f.scrape(t)
	var files []byte
	for _, p := range []string{"../../../plugins/metrics/deploy/dashboard.json", "../../../plugins/metrics/deploy/alerts.yml"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b...)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\bcovet_(orm|ratelimit|cache|ws|auth)_[a-z_]+\b`).FindAllString(string(files), -1) {
		if seen[m] {
			continue
		}
		seen[m] = true
		if fams[m] == nil {
			t.Errorf("the deploy files query %s, which no plugin exports", m)
		}
	}
	for _, p := range []string{"orm", "ratelimit", "cache", "ws", "auth"} {
		found := false
		for m := range seen {
			found = found || strings.HasPrefix(m, "covet_"+p+"_")
		}
		if !found {
			t.Errorf("the deploy files show no figure of %s", p)
		}
	}
}

func attributeKey(k string) attribute.Key { return attribute.Key(k) }
