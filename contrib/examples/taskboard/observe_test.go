package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/otel/oteltest"
	"github.com/covetgo/covet/plugins/ratelimit"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// counterValue is the value of the series of family name whose labels
// include all of want (0 when there is none).
func counterValue(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		ok := true
		for k, v := range want {
			found := false
			for _, lp := range m.GetLabel() {
				if lp.GetName() == k && lp.GetValue() == v {
					found = true
				}
			}
			ok = ok && found
		}
		if ok {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

// TestMetricsScrape: /metrics, parsed with Prometheus' own text parser,
// counts exactly the requests sent, per route pattern (never the raw
// path), unmatched ones under one label; the pool of the real database is
// there; a client outside the allowlist gets 403 (loopback only by
// default, TASKBOARD_METRICS_ALLOW widens it).
func TestMetricsScrape(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	_, cl := startApp(t, ormtest.SQLite(t).DSN)

	const lists, gets, misses = 7, 5, 9
	for i := 0; i < lists; i++ {
		cl.Get("/api/v1/tasks").Do().ExpectStatus(200)
	}
	for i := 0; i < gets; i++ {
		cl.Get(fmt.Sprintf("/api/v1/tasks/%d", 1000+i)).Do().ExpectStatus(404) // distinct paths, one pattern
	}
	for i := 0; i < misses; i++ {
		cl.Get(fmt.Sprintf("/no/such/page/%d", i)).Do().ExpectStatus(404)
	}
	cl.Get("/metrics").Do().ExpectStatus(403) // covettest's client is 192.0.2.1
	text := cl.Get("/metrics").RemoteAddr("127.0.0.1:4000").Do().ExpectStatus(200).Text()

	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, text)
	}
	for _, c := range []struct {
		labels map[string]string
		want   float64
	}{
		{map[string]string{"method": "GET", "route": "/api/v1/tasks", "code": "2xx"}, lists},
		{map[string]string{"method": "GET", "route": "/api/v1/tasks/{id:int}", "code": "4xx"}, gets},
	} {
		if got := counterValue(fams, "covet_http_requests_total", c.labels); got != c.want {
			t.Errorf("covet_http_requests_total%v = %v, want %v", c.labels, got, c.want)
		}
	}
	// Every request the app answered is counted once, the 403 scrape
	// included; the scrape being served is not counted yet.
	if got, want := counterValue(fams, "covet_http_requests_total", nil), float64(lists+gets+misses+1); got != want {
		t.Errorf("requests counted: %v, want %v", got, want)
	}
	for _, m := range fams["covet_http_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "route" && strings.Contains(lp.GetValue(), "/no/such") {
				t.Errorf("a raw path became a label: %s", lp.GetValue())
			}
		}
	}
	// The plugins' figures come through covet.StatsReporter, not wired here.
	for _, name := range []string{"covet_orm_pool_max_open", "covet_orm_queries_total", "covet_ratelimit_allowed_total", "covet_auth_refused_total"} {
		if f := fams[name]; f == nil || len(f.GetMetric()) == 0 {
			t.Errorf("/metrics lacks the plugin figure %s", name)
		}
	}
	if v := counterValue(fams, "covet_orm_queries_total", map[string]string{"db": "primary"}); v < 1 {
		t.Errorf("covet_orm_queries_total{db=primary} = %v after requests that read the database", v)
	}

	// TASKBOARD_METRICS_ALLOW lets a scraper outside loopback in.
	t.Setenv(MetricsAllowEnv, "192.0.2.0/24")
	_, cl2 := startApp(t, ormtest.SQLite(t).DSN)
	cl2.Get("/metrics").Do().ExpectStatus(200)
	cl2.Get("/metrics").RemoteAddr("127.0.0.1:4000").Do().ExpectStatus(403)
}

func spanSystem(s *tracepb.Span) string {
	for _, kv := range s.Attributes {
		if kv.Key == "db.system" || kv.Key == "db.system.name" {
			return kv.Value.GetStringValue()
		}
	}
	return ""
}

// TestTraceAcrossPostgresAndRedis: with OTEL_EXPORTER_OTLP_ENDPOINT set,
// the token request (the user read from PostgreSQL, the refresh token
// written to Redis) is one trace, received over a real OTLP/HTTP exchange:
// the server span named by the route, and SQL (bunotel) and Redis
// (redisotel) spans that are its children.
func TestTraceAcrossPostgresAndRedis(t *testing.T) {
	db := ormtest.Postgres(t)
	rurl := covettest.RedisURL()
	ro, err := redis.ParseURL(rurl)
	if err != nil {
		t.Fatal(err)
	}
	probe := redis.NewClient(ro)
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := probe.Ping(ctx).Err(); err != nil {
		covettest.NeedService(t, "Redis", err)
		return
	}
	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")

	prefix := fmt.Sprintf("taskboard-test-trace-%d:", time.Now().UnixNano())
	app, err := NewApp(Config{DatabaseURL: db.DSN, RedisURL: rurl, RedisPrefix: prefix,
		Logger: slog.New(slog.DiscardHandler), WriteLimit: ratelimit.PerSecond(100000),
		AllowedHosts: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = app.Stop(context.Background())
		}
	}()
	cl := covettest.New(t, app)
	cl.Post("/api/v1/users").JSON(map[string]any{"name": "Ada", "email": "ada@example.com", "password": "analytical engine"}).Do().ExpectStatus(201)
	token(t, cl, "ada@example.com", "analytical engine")
	if err := app.Stop(ctx); err != nil { // flushes the batch
		t.Fatal(err)
	}
	stopped = true

	spans := rv.Spans()
	var server *tracepb.Span
	for _, s := range spans {
		if s.Name == "POST /api/v1/auth/token" {
			server = s
		}
	}
	if server == nil {
		names := make([]string, 0, len(spans))
		for _, s := range spans {
			names = append(names, s.Name)
		}
		t.Fatalf("no server span for the token request among %q", names)
	}
	if server.Kind != tracepb.Span_SPAN_KIND_SERVER || len(server.ParentSpanId) != 0 {
		t.Errorf("server span kind %v parent %x, want a root server span", server.Kind, server.ParentSpanId)
	}
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[string(s.SpanId)] = s
	}
	// underServer: the span's parent chain reaches the server span.
	underServer := func(s *tracepb.Span) bool {
		for p := s; p != nil && len(p.ParentSpanId) > 0; p = byID[string(p.ParentSpanId)] {
			if bytes.Equal(p.ParentSpanId, server.SpanId) {
				return true
			}
		}
		return false
	}
	var sqlSpans, redisSpans int
	for _, s := range spans {
		if s == server || !bytes.Equal(s.TraceId, server.TraceId) {
			continue
		}
		system := spanSystem(s)
		if system == "" {
			continue
		}
		if !underServer(s) {
			t.Errorf("%s span %q in the trace is not under the server span", system, s.Name)
		}
		if !bytes.Equal(s.ParentSpanId, server.SpanId) {
			continue // a pool dial under a command's span
		}
		switch system {
		case "postgresql":
			sqlSpans++
		case "redis":
			redisSpans++
		}
	}
	if sqlSpans == 0 || redisSpans == 0 {
		t.Errorf("%d SQL and %d Redis child spans of the server span, want both", sqlSpans, redisSpans)
	}
	// The sign-up before is a trace of its own.
	for _, s := range spans {
		if s.Name == "POST /api/v1/users" && bytes.Equal(s.TraceId, server.TraceId) {
			t.Error("two requests share a trace")
		}
	}
}
