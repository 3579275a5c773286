package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/covetgo/covet/core/covettest"
	"github.com/covetgo/covet/plugins/orm"
	"github.com/covetgo/covet/plugins/orm/ormtest"
	"github.com/covetgo/covet/plugins/otel/oteltest"
	"github.com/redis/go-redis/v9"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestOneTraceAcrossLayers: a request that reads PostgreSQL (plugins/orm
// with bunotel) and writes Redis (go-redis with redisotel) gives one trace
// whose SQL and Redis spans are children of the server span, as a local
// OTLP/HTTP receiver decodes them; the log line carries the trace ID and
// the request ID; /metrics shows the request and the real pool.
func TestOneTraceAcrossLayers(t *testing.T) {
	db := ormtest.Postgres(t)
	rurl := covettest.RedisURL()
	ro, err := redis.ParseURL(rurl)
	if err != nil {
		t.Fatal(err)
	}
	probe := redis.NewClient(ro)
	defer probe.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := probe.Ping(ctx).Err(); err != nil {
		covettest.NeedService(t, "Redis", err)
		return
	}
	prefix := fmt.Sprintf("covet-test:obs:%d:", time.Now().UnixNano())
	t.Cleanup(func() { probe.Del(context.Background(), prefix+"views:1") })

	rv := &oteltest.Receiver{}
	srv := httptest.NewServer(rv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")

	logs := &syncBuf{}
	app, err := New(Config{DatabaseURL: db.DSN, RedisURL: rurl, KeyPrefix: prefix}, slog.NewJSONHandler(logs, nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Start(ctx); err != nil {
		t.Fatal(err)
	}
	// The table is created when the app starts (the orm opens nothing before).
	if _, err := db.ExecContext(ctx, "INSERT INTO obs_tasks (id, title) VALUES (1, 'Ship v1')"); err != nil {
		t.Fatal(err)
	}
	c := covettest.New(t, app)
	res := c.Get("/tasks/1").Do().ExpectStatus(200)
	if !strings.Contains(res.Text(), `"views":1`) || !strings.Contains(res.Text(), "Ship v1") {
		t.Fatalf("body %s", res.Text())
	}
	metricsText := c.Get("/metrics").Do().ExpectStatus(200).Text()
	if err := app.Stop(ctx); err != nil { // flushes the spans
		t.Fatal(err)
	}

	spans := rv.Spans()
	var server *tracepb.Span
	for _, s := range spans {
		if s.Name == "GET /tasks/{id:int}" {
			server = s
		}
	}
	if server == nil {
		t.Fatalf("no server span among %d", len(spans))
	}
	var sqlSpans, redisSpans []*tracepb.Span
	for _, s := range spans {
		if s == server {
			continue
		}
		if !bytes.Equal(s.TraceId, server.TraceId) {
			continue // the Redis pool's dial, made outside any request
		}
		system := ""
		for _, kv := range s.Attributes {
			if kv.Key == "db.system" || kv.Key == "db.system.name" {
				system = kv.Value.GetStringValue()
			}
		}
		switch system {
		case "postgresql":
			sqlSpans = append(sqlSpans, s)
		case "redis":
			if s.Name != "incr" {
				continue // the pool's dial and handshake on first use, under the command's span
			}
			redisSpans = append(redisSpans, s)
		default:
			t.Logf("other span %q", s.Name)
			continue
		}
		if !bytes.Equal(s.ParentSpanId, server.SpanId) {
			t.Errorf("%s span %q: parent is not the server span", system, s.Name)
		}
	}
	if len(sqlSpans) != 1 || len(redisSpans) != 1 {
		t.Errorf("%d SQL and %d Redis spans in the trace, want 1 and 1", len(sqlSpans), len(redisSpans))
	}
	for _, s := range sqlSpans {
		found := false
		for _, kv := range s.Attributes {
			if strings.Contains(kv.Value.GetStringValue(), "SELECT title FROM obs_tasks") {
				found = true
			}
		}
		if !found {
			t.Errorf("SQL span %q has no statement attribute: %v", s.Name, s.Attributes)
		}
	}

	traceID := fmt.Sprintf("%x", server.TraceId)
	var access map[string]any
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"route":"/tasks/{id:int}"`) {
			_ = json.Unmarshal([]byte(line), &access)
		}
	}
	if access["trace_id"] != traceID || access["request_id"] != res.Header.Get("X-Request-ID") {
		t.Errorf("access log %v: want trace_id %s and request_id %s", access, traceID, res.Header.Get("X-Request-ID"))
	}
	for _, want := range []string{
		`covet_http_requests_total{code="2xx",method="GET",route="/tasks/{id:int}"} 1`,
		`covet_orm_pool_max_open{db="` + orm.DefaultName + `"}`,
	} {
		if !strings.Contains(metricsText, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
